#pragma once
// Study files (docs/methods.md section 4.1): a base run config, arms of
// `section.key = value` overrides and a list of seeds, expanded into one run per (arm, seed).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/core/shell.hpp"

namespace curvtrack::sweep {

/// One arm: a name (a path component) and its `section.key=value` overrides of the base config.
struct Arm {
  std::string name;
  std::vector<std::string> overrides;  ///< "section.key=value", in file order
};

/// [local]: the local process pool.
struct LocalSettings {
  int jobs = 1;  ///< concurrent runs; threads per run = max(1, cores / jobs)
};

/// [slurm]: the array job.
struct SlurmSettings {
  std::string partition;               ///< empty: the cluster's default
  std::string account;                 ///< empty: the user's default
  std::string time;                    ///< per-task time limit in a Slurm format ("00:30:00"); empty: the partition's
  int cpus_per_task = 1;               ///< also the threads per run (per rank)
  int ranks_per_run = 1;               ///< > 1: --ntasks per array task, the run started with srun over them
  int throttle = 0;                    ///< at most this many tasks at once (array %throttle); 0: no limit
  int signal_margin = 120;             ///< seconds before the time limit Slurm sends USR1 to the batch shell
  std::vector<std::string> extra;      ///< extra sbatch options, one per entry, verbatim
};

/// A parsed study file; every path is absolute.
struct Study {
  std::filesystem::path file;          ///< the study file
  std::string name;                    ///< [study] name (default: the file's stem)
  std::filesystem::path base;          ///< the base run config
  std::vector<std::int64_t> seeds;     ///< in the order given, no repeats
  std::filesystem::path out;           ///< output root: OUT/ARM/seed-S per run
  bool report = false;                 ///< run `curvtrack report` when the runs are done
  std::vector<Arm> arms;               ///< the arms run, in order
  LocalSettings local;
  SlurmSettings slurm;
};

/// One run of a study.
struct StudyRun {
  std::string arm;
  std::int64_t seed;
  std::filesystem::path run_dir;       ///< OUT/ARM/seed-S
  std::vector<std::string> overrides;  ///< arm overrides, then run.seed=S and run.name=ARM
};

/// Reads and checks a study file. Throws core::UsageError naming the file, the line, the key
/// (with the nearest valid one) or the value at fault, and when the base config is missing.
Study load_study(const std::filesystem::path& file);

/// Parses a seed list: "0-2", "0,1,2,5" or a mix ("0-3,7"); non-negative, no repeats.
/// Throws core::UsageError naming `what`.
std::vector<std::int64_t> parse_seeds(const std::string& text, const std::string& what);

/// Parses a Slurm time limit ("MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS")
/// into seconds. Throws core::UsageError naming `what`.
std::int64_t parse_slurm_time(const std::string& text, const std::string& what);

/// The runs of a study: arms x seeds, in (arm order, seed order). Deterministic; the same seed
/// gives the same run.seed (initialisation and data order) in every arm.
std::vector<StudyRun> expand(const Study& study);

/// The arguments after the executable for one run: `train --config BASE --set ... --run-dir DIR
/// --resume auto` (the backend adds --threads and --quiet).
std::vector<std::string> train_arguments(const Study& study, const StudyRun& run);

/// Quotes a word for a POSIX shell (unchanged when it needs no quoting): core's, named here for sweep's callers.
using core::shell_quote;

/// Words joined by spaces, each shell-quoted.
std::string shell_command(const std::vector<std::string>& words);

}  // namespace curvtrack::sweep
