// curvtrack sweep: runs a study (arms x seeds) on a local process pool or as a Slurm array.
// Thin: the study logic lives in libs/sweep.

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/config.hpp"
#include "curvtrack/runner/run_options.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/sweep/local_pool.hpp"
#include "curvtrack/sweep/process.hpp"
#include "curvtrack/sweep/slurm.hpp"
#include "curvtrack/sweep/study.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace curvtrack::tool {
namespace {

// True when this binary has a `report` subcommand (it is written separately).
bool report_available(const fs::path& self) {
  return sweep::run_process({self.string(), "report", "--help"}, "/dev/null") == 0;
}

std::vector<std::string> started_run_dirs(const std::vector<sweep::StudyRun>& runs) {
  std::vector<std::string> dirs;
  for (const auto& run : runs) {
    if (fs::exists(run.run_dir / "meta.json")) dirs.push_back(run.run_dir.string());
  }
  return dirs;
}

void print_dry_run(const sweep::Study& study, const std::vector<sweep::StudyRun>& runs, const std::string& backend,
                   const std::vector<std::vector<std::string>>& commands, int jobs, int threads) {
  std::printf("study %s (%s): %zu runs = %zu arms x %zu seeds; backend %s, %d at a time, %d thread(s) each\n",
              study.name.c_str(), study.file.c_str(), runs.size(), study.arms.size(), study.seeds.size(),
              backend.c_str(), jobs, threads);
  std::printf("output %s\n", study.out.c_str());
  int finished = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    sweep::RunState state = sweep::run_state(runs[i].run_dir);
    std::string status = state.word();
    if (state.finished()) ++finished;
    std::printf("\n%-16s seed %-4lld %-10s %s\n  %s\n", runs[i].arm.c_str(), static_cast<long long>(runs[i].seed),
                status.empty() ? "new" : status.c_str(), runs[i].run_dir.c_str(),
                sweep::shell_command(commands[i]).c_str());
  }
  std::printf("\n%d of %zu runs done (completed or diverged); %zu to run\n", finished, runs.size(),
              runs.size() - static_cast<std::size_t>(finished));
}

int run_report(const sweep::Study& study, const std::vector<sweep::StudyRun>& runs, const fs::path& self) {
  if (!report_available(self)) {
    std::fprintf(stderr, "sweep: note: this curvtrack has no `report` command yet; run `curvtrack report RUN_DIRS... "
                         "--out %s` when it has\n", (study.out / "report").c_str());
    return 0;
  }
  std::vector<std::string> command = {self.string(), "report"};
  for (const auto& dir : started_run_dirs(runs)) command.push_back(dir);
  command.insert(command.end(), {"--out", (study.out / "report").string()});
  std::fprintf(stderr, "sweep: %s\n", sweep::shell_command(command).c_str());
  int code = sweep::run_process(command);
  if (code != 0) std::fprintf(stderr, "sweep: curvtrack report exited with %d\n", code);
  return code;
}

int run_slurm(const sweep::Study& study, const std::vector<sweep::StudyRun>& runs, bool report, const fs::path& self) {
  if (!sweep::on_path("sbatch")) {
    throw std::runtime_error("sbatch is not on PATH: the slurm backend needs a Slurm client (see scripts/slurm/README.md)");
  }
  std::vector<sweep::StudyRun> todo;
  for (const auto& run : runs) {
    if (!sweep::run_state(run.run_dir).finished()) todo.push_back(run);
  }
  sweep::SlurmFiles files = sweep::write_slurm_files(study, todo, self);
  std::string jobs;
  std::string array_id;
  if (files.tasks == 0) {
    std::fprintf(stderr, "sweep: every run of %s is already completed or diverged; no array job\n", study.name.c_str());
  } else {
    array_id = sweep::submit(files.array_script);
    jobs += "array " + array_id + "\n";
    std::printf("array job %s: %zu tasks (%s)\n", array_id.c_str(), files.tasks, files.array_script.c_str());
  }
  if (report) {
    if (!report_available(self)) {
      std::fprintf(stderr, "sweep: note: this curvtrack has no `report` command yet; no report job submitted\n");
    } else {
      fs::path script = files.folder / "report.sbatch";
      core::write_file_atomically(script, sweep::report_script(study, runs, array_id, self));
      std::string report_id = sweep::submit(script);
      jobs += "report " + report_id + "\n";
      std::printf("report job %s (after %s)\n", report_id.c_str(), array_id.empty() ? "nothing" : array_id.c_str());
    }
  }
  core::write_file_atomically(files.folder / "jobs.txt", jobs);
  std::printf("logs: %s\n", (files.folder / "logs").c_str());
  return 0;
}

// Resolves one run's config as `train` will (base file, then the arm's and the run's --set)
// and checks its schedule when the step count is known without loading data, so a bad arm
// fails here, naming the arm, instead of as failed runs.
void check_run_config(const sweep::Study& study, const sweep::StudyRun& run) {
  try {
    runner::RunOptions options = runner::read_run_options(runner::resolve_run_config(study.base.string(), run.overrides));
    auto lr_max = options.schedule.find("lr_max");
    bool auto_lr_max = lr_max != options.schedule.end() && lr_max->second == "auto";
    if (options.train.steps && !auto_lr_max) schedules::make_schedule(options.schedule, *options.train.steps);
  } catch (const core::UsageError& error) {
    throw core::UsageError(study.file.string() + ": arm " + run.arm + ": " + error.what());
  }
}

}  // namespace

int run_sweep(const Arguments& arguments) {
  std::string study_file, backend = "local";
  int jobs = 0, threads = 0;
  po::options_description options("curvtrack sweep options");
  options.add_options()
      ("study", po::value(&study_file), "study file (INI: [study], [arm.NAME]..., [local], [slurm])")
      ("backend", po::value(&backend)->default_value("local"), "local (a pool of processes here) | slurm (an array job)")
      ("jobs", po::value(&jobs)->default_value(0), "concurrent runs (local; slurm: the array throttle); 0: the study's")
      ("threads", po::value(&threads)->default_value(0),
       "threads per run (local; slurm: cpus_per_task); 0: max(1, cores / jobs), slurm: the study's cpus_per_task")
      ("dry-run", po::bool_switch(), "list the runs, their status and command lines; run nothing")
      ("report", po::bool_switch(), "run `curvtrack report` over the runs at the end (as [study] report = true)");
  po::variables_map values;
  if (!parse_arguments("sweep", arguments, options, values)) return 0;
  if (study_file.empty()) throw core::UsageError("--study FILE is required");
  if (backend != "local" && backend != "slurm") throw core::UsageError("--backend '" + backend + "' is not one of local, slurm");
  if (jobs < 0) throw core::UsageError("--jobs must be >= 1 (0: the study's)");
  if (threads < 0) throw core::UsageError("--threads must be >= 1 (0: automatic)");

  sweep::Study study = sweep::load_study(study_file);
  if (backend == "slurm") {
    if (jobs > 0) study.slurm.throttle = jobs;
    if (threads > 0) study.slurm.cpus_per_task = threads;
  }
  if (backend == "local" && study.slurm.ranks_per_run > 1) {
    std::fprintf(stderr, "sweep: [slurm] ranks_per_run = %d applies to --backend slurm; the local pool runs each run "
                 "as one process\n", study.slurm.ranks_per_run);
  }
  bool report = study.report || values["report"].as<bool>();
  std::vector<sweep::StudyRun> runs = sweep::expand(study);
  for (const auto& run : runs) check_run_config(study, run);
  const fs::path self = sweep::self_executable();

  sweep::LocalPoolOptions pool;
  pool.executable = self;
  pool.jobs = jobs > 0 ? jobs : study.local.jobs;
  pool.threads = threads > 0 ? threads : std::max(1, sweep::available_cores() / pool.jobs);

  if (values["dry-run"].as<bool>()) {
    std::vector<std::vector<std::string>> commands;
    for (const auto& run : runs) {
      if (backend == "local") {
        commands.push_back(sweep::local_command(study, run, pool));
      } else {
        std::vector<std::string> command = {self.string()};
        auto words = sweep::train_arguments(study, run);
        command.insert(command.end(), words.begin(), words.end());
        command.insert(command.end(), {"--threads", std::to_string(study.slurm.cpus_per_task), "--quiet"});
        if (auto max_time = sweep::slurm_max_time(study.slurm); max_time > 0) {
          command.insert(command.end(), {"--max-time", std::to_string(max_time)});
        }
        commands.push_back(command);
      }
    }
    bool local = backend == "local";
    print_dry_run(study, runs, backend, commands, local ? pool.jobs : study.slurm.throttle,
                  local ? pool.threads : study.slurm.cpus_per_task);
    return 0;
  }
  if (backend == "slurm") return run_slurm(study, runs, report, self);

  sweep::PoolResult result = sweep::run_local(study, runs, pool);
  if (result.exit_code == 0 && report && run_report(study, runs, self) != 0) return 1;
  return result.exit_code;
}

}  // namespace curvtrack::tool
