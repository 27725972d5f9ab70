#include "test_prelude.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "curvtrack/sweep/process.hpp"
#include "curvtrack/sweep/slurm.hpp"
#include "curvtrack/sweep/study.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using namespace curvtrack::sweep;
using curvtrack::testing::slurp;
using curvtrack::testing::TempDir;

namespace {

void write_executable(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
}

Study study_in(const fs::path& folder) {
  std::ofstream(folder / "base.ini") << "[train]\nsteps = 10\n";
  std::ofstream(folder / "study.ini") << "[study]\nname = s\nbase = base.ini\nseeds = 0-1\nout = out dir\n"
                                         "[arm.a]\nschedule.lr = 0.1\n[arm.b]\n"
                                         "[slurm]\ntime = 00:10:00\nthrottle = 3\ncpus_per_task = 2\n"
                                         "signal_margin = 60\npartition = debug\nextra = --qos=low;--mem=1G\n";
  return load_study(folder / "study.ini");
}

}  // namespace

TEST_CASE("the array script carries every #SBATCH option the study asks for", "[unit]") {
  TempDir folder;
  std::ofstream(folder.path() / "base.ini") << "";
  Study study = study_in(folder.path());
  auto runs = expand(study);
  SlurmFiles files = write_slurm_files(study, runs, "/opt/ct/bin/curvtrack");
  REQUIRE(files.tasks == 4);
  std::string script = slurp(files.array_script);
  INFO(script);
  CHECK_THAT(script, Contains("#SBATCH --array=0-3%3\n"));
  CHECK_THAT(script, Contains("#SBATCH --output=" + (study.out / "slurm" / "logs").string() + "/%A_%a.log\n"));
  CHECK_THAT(script, Contains("#SBATCH --open-mode=append\n"));
  CHECK_THAT(script, Contains("#SBATCH --requeue\n"));
  CHECK_THAT(script, Contains("#SBATCH --signal=B:USR1@60\n"));
  CHECK_THAT(script, Contains("#SBATCH --cpus-per-task=2\n"));
  CHECK_THAT(script, Contains("#SBATCH --time=00:10:00\n"));
  CHECK_THAT(script, Contains("#SBATCH --partition=debug\n"));
  CHECK_THAT(script, Contains("#SBATCH --qos=low\n#SBATCH --mem=1G\n"));
  CHECK_THAT(script, Contains("curvtrack=/opt/ct/bin/curvtrack\n"));
  CHECK_THAT(script, Contains("--max-time 540"));
  CHECK_THAT(script, !Contains("--ntasks") && !Contains("srun "));  // one rank per run unless asked
  CHECK_THAT(script, Contains("scontrol requeue \"${SLURM_JOB_ID:-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}\""));
  CHECK(script.find("{{") == std::string::npos);
  CHECK(run_process({"bash", "-n", files.array_script.string()}) == 0);
  // #SBATCH lines are only read before the first command.
  auto first_command = script.find("\nset -u");
  CHECK(script.rfind("#SBATCH", first_command) != std::string::npos);
  CHECK(script.find("#SBATCH", first_command) == std::string::npos);

  std::string report = report_script(study, runs, "1234", "/opt/ct/bin/curvtrack");
  CHECK_THAT(report, Contains("#SBATCH --dependency=afterok:1234\n"));
  CHECK_THAT(report, Contains("report"));
  CHECK_THAT(report, Contains("'" + (study.out / "b" / "seed-1").string() + "'"));
}

TEST_CASE("ranks_per_run asks Slurm for that many tasks and starts the run over them with srun", "[unit]") {
  TempDir folder;
  Study study = study_in(folder.path());
  study.slurm.ranks_per_run = 2;
  std::string script = array_script(study, 4, folder.path() / "runs.txt", "/opt/ct/bin/curvtrack");
  INFO(script);
  CHECK_THAT(script, Contains("#SBATCH --ntasks=2\n"));
  CHECK_THAT(script, Contains("srun --ntasks=2 --cpus-per-task=2 --kill-on-bad-exit=1 \"$curvtrack\" \"$@\""));
  std::ofstream(folder.path() / "array.sh") << script;
  CHECK(run_process({"bash", "-n", (folder.path() / "array.sh").string()}) == 0);

  std::ofstream(folder.path() / "bad.ini") << "[study]\nbase = base.ini\nseeds = 0\n[arm.a]\n[slurm]\nranks_per_run = 0\n";
  CHECK_THROWS_WITH(load_study(folder.path() / "bad.ini"), Contains("ranks_per_run") && Contains("bad.ini"));
}

TEST_CASE("a runs.txt line gives back the run dir and the train arguments through the shell", "[unit]") {
  TempDir folder;
  Study study = study_in(folder.path());
  auto runs = expand(study);
  for (const auto& run : runs) {
    std::string line = runs_line(study, run);
    Captured words = capture_process({"bash", "-c", "eval \"set -- $1\"; printf '%s\\n' \"$@\"", "bash", line});
    REQUIRE(words.exit_code == 0);
    std::string expected = run.run_dir.string() + "\n";
    for (const auto& word : train_arguments(study, run)) expected += word + "\n";
    CHECK(words.out == expected);
  }
}

// The batch script's signal forwarding and requeue, with stand-ins for curvtrack and scontrol:
// USR1 reaches train and it goes on; TERM makes it exit 75, and the script requeues ARRAY_TASK.
TEST_CASE("the array script forwards USR1 and TERM to train and requeues on exit 75", "[unit]") {
  TempDir folder;
  Study study = study_in(folder.path());
  auto runs = expand(study);
  fs::path bin = folder.path() / "bin";
  fs::create_directories(bin);
  fs::path events = folder.path() / "events.txt";
  // A fake curvtrack: records its arguments and the signals it gets; TERM -> exit 75.
  write_executable(bin / "curvtrack",
                   "#!/bin/bash\necho \"args $*\" >> '" + events.string() + "'\n"
                   "trap 'echo usr1 >> \"" + events.string() + "\"' USR1\n"
                   "trap 'echo term >> \"" + events.string() + "\"; exit 75' TERM\n"
                   "echo started >> '" + events.string() + "'\n"
                   "for i in $(seq 600); do sleep 0.1; done\nexit 0\n");
  write_executable(bin / "scontrol", "#!/bin/bash\necho \"scontrol $*\" >> '" + events.string() + "'\n");
  SlurmFiles files = write_slurm_files(study, runs, bin / "curvtrack");

  std::string path = bin.string() + ":" + std::getenv("PATH");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("PATH", path.c_str(), 1);
    ::setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    ::setenv("SLURM_ARRAY_JOB_ID", "77", 1);
    ::setenv("SLURM_JOB_ID", "80", 1);
    ::setenv("SLURM_CPUS_PER_TASK", "2", 1);
    std::string out = (folder.path() / "script.log").string();
    if (!std::freopen(out.c_str(), "w", stdout)) ::_exit(126);
    ::execlp("bash", "bash", files.array_script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto wait_for_text = [&](const std::string& text) {
    for (int i = 0; i < 1000 && slurp(events).find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return slurp(events).find(text) != std::string::npos;
  };
  REQUIRE(wait_for_text("started"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the script has set its traps
  ::kill(pid, SIGUSR1);
  REQUIRE(wait_for_text("usr1"));
  ::kill(pid, SIGUSR1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  std::string log = slurp(events);
  INFO(log << "\n--- script output ---\n" << slurp(folder.path() / "script.log"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(log, Contains("args " + train_arguments(study, runs[2])[0]));
  CHECK_THAT(log, Contains("--run-dir " + runs[2].run_dir.string() + " --resume auto --threads 2 --quiet --max-time 540"));
  CHECK_THAT(log, Contains("usr1\nusr1\nterm\n"));
  CHECK_THAT(log, Contains("scontrol requeue 80\n"));
}

TEST_CASE("the array script passes on train's exit code when it is not 75", "[unit]") {
  TempDir folder;
  Study study = study_in(folder.path());
  auto runs = expand(study);
  fs::path bin = folder.path() / "bin";
  fs::create_directories(bin);
  write_executable(bin / "curvtrack", "#!/bin/bash\nsleep 0.2\nexit 3\n");
  write_executable(bin / "scontrol", "#!/bin/bash\nexit 1\n");
  SlurmFiles files = write_slurm_files(study, runs, bin / "curvtrack");
  std::string command = "PATH=" + shell_quote(bin.string()) + ":$PATH SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=1 bash " +
                        shell_quote(files.array_script.string()) + " >/dev/null";
  int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);
  // A task id beyond runs.txt is an error, not a silent success.
  std::string beyond = "SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_JOB_ID=1 bash " + shell_quote(files.array_script.string()) +
                       " >/dev/null 2>&1";
  status = std::system(beyond.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
}
