#include "test_prelude.hpp"

#include <filesystem>

#include "curvtrack/core/config.hpp"
#include "curvtrack/core/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using Catch::Matchers::Contains;
using curvtrack::testing::TempDir;

namespace {

// A small schema touching several sections, with defaults, an unset key and a closed set.
Config make_config() {
  return Config({
      {"data.name", "mnist", "dataset name", {}},
      {"optim.lr_max", "", "peak learning rate", {}},
      {"optim.momentum", "0.9", "SGD momentum", {}},
      {"optim.kind", "sgd", "optimizer", {"sgd", "adamw"}},
      {"train.steps", "100", "optimizer updates", {}},
      {"train.nesterov", "false", "Nesterov momentum", {}},
      {"schedule.policy", "", "learning-rate policy", {"constant", "onecycle"}},
      {"schedule.lr", "", "constant rate", {}},
  });
}

}  // namespace

TEST_CASE("a config file's values are read with whitespace stripped and comments dropped", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("run.ini", "# run\n[optim]\n  lr_max =  0.5  # peak\nkind=adamw\r\n\n[data]\nname = cifar10\n"));
  REQUIRE(config.get("optim.lr_max") == "0.5");
  REQUIRE(config.get_double("optim.lr_max") == 0.5);
  REQUIRE(config.get("optim.kind") == "adamw");
  REQUIRE(config.get("data.name") == "cifar10");
}

TEST_CASE("overrides (--set) win over the file whatever the order, defaults fill the rest", "[unit]") {
  TempDir dir;
  fs::path file = dir.write("run.ini", "[optim]\nlr_max = 0.5\nmomentum = 0.8\n");
  Config config = make_config();
  config.set("optim.lr_max=0.25");
  config.load_file(file);
  config.set(" optim.momentum = 0.7 ");
  REQUIRE(config.get_double("optim.lr_max") == 0.25);
  REQUIRE(config.get_double("optim.momentum") == 0.7);
  REQUIRE(config.get_int("train.steps") == 100);
  REQUIRE(config.get("optim.kind") == "sgd");
  REQUIRE_FALSE(config.has("schedule.lr"));
}

TEST_CASE("an empty value falls back to the default and drops the key from its section", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("run.ini", "[schedule]\npolicy = constant\nlr = 0.1\n"));
  config.set("schedule.lr=");
  REQUIRE_FALSE(config.has("schedule.lr"));
  REQUIRE(config.section("schedule") == std::map<std::string, std::string>{{"policy", "constant"}});
}

TEST_CASE("values may hold '=' but not '#', which would not survive the file", "[unit]") {
  Config config = make_config();
  config.set("data.name=synthetic:n=100");
  REQUIRE(config.get("data.name") == "synthetic:n=100");
  REQUIRE_THROWS_AS(config.set("data.name=a#b"), UsageError);
  REQUIRE_THROWS_AS(config.set("data.name"), UsageError);
}

TEST_CASE("an unknown key names the file and the nearest declared key", "[unit]") {
  TempDir dir;
  Config config = make_config();
  fs::path file = dir.write("config.ini", "[optim]\nlr_mx = 0.5\n");
  REQUIRE_THROWS_AS(config.load_file(file), UsageError);
  REQUIRE_THROWS_WITH(config.load_file(file), Contains(file.string() + ":2: unknown key optim.lr_mx; did you mean optim.lr_max?"));
  REQUIRE_THROWS_WITH(config.set("optim.momentun=0.9"), Contains("did you mean optim.momentum?"));
}

TEST_CASE("undeclared keys of an ignored section are skipped, declared ones still read", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.ignore_section("train");
  config.ignore_section("model");
  config.load_file(dir.write("run.ini", "[model]\nkind = mlp\n[train]\nsteps = 7\nseed = 3\n"));
  REQUIRE(config.get_int("train.steps") == 7);
  REQUIRE_THROWS_AS(config.set("train.seed=3"), UsageError);  // --set of an undeclared key is still a typo
}

TEST_CASE("a key given twice in one file is rejected and named", "[unit]") {
  TempDir dir;
  Config config = make_config();
  fs::path file = dir.write("run.ini", "[optim]\nlr_max = 0.5\n[data]\nname = mnist\n[optim]\nlr_max = 0.6\n");
  REQUIRE_THROWS_AS(config.load_file(file), UsageError);
  REQUIRE_THROWS_WITH(config.load_file(file), Contains(file.string() + ":6: key lr_max in [optim] is given twice (first on line 2)"));
  REQUIRE_FALSE(config.has("optim.lr_max"));  // a rejected file changes nothing
  Config dotted({{"a.b.c", "", "", {}}});  // the same key spelled through two sections
  fs::path twice = dir.write("dotted.ini", "[a.b]\nc = 1\n[a]\nb.c = 2\n");
  REQUIRE_THROWS_WITH(dotted.load_file(twice), Contains(twice.string() + ":4: key a.b.c is given twice"));
}

TEST_CASE("a key before any [section] names the file, line and key, and the section it belongs to", "[unit]") {
  // It used to be read as the key "lr" and rejected as unknown with the nearest full name
  // ("did you mean optim.momentum?"), which pointed away from the real mistake.
  TempDir dir;
  Config config = make_config();
  fs::path file = dir.write("run.ini", "# run\n\nlr = 0.1\n[schedule]\npolicy = constant\n");
  REQUIRE_THROWS_AS(config.load_file(file), UsageError);
  REQUIRE_THROWS_WITH(config.load_file(file), Contains(file.string() +
                                                       ":3: key 'lr' comes before any [section]; write it under its "
                                                       "section, e.g. [schedule]"));
  REQUIRE_FALSE(config.has("schedule.policy"));
}

TEST_CASE("a semicolon first on a line or after a space starts a comment, and values that would lose text are refused", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("run.ini", "; run\n[data]\nname = synthetic:a;b ; a comment\n"));
  REQUIRE(config.get("data.name") == "synthetic:a;b");
  REQUIRE_THROWS_WITH(config.set("data.name=a ;b"), Contains("data.name='a ;b'") && Contains("';'"));
  REQUIRE_THROWS_AS(config.set("data.name=;b"), UsageError);  // to_ini() writes `name = ;b`
  REQUIRE_THROWS_AS(Config({{"a.b", "x ;y", "", {}}}), std::invalid_argument);
  REQUIRE_THROWS_AS(Config({{"a.;b", "", "", {}}}), std::invalid_argument);
}

TEST_CASE("a bad number names the key and the value", "[unit]") {
  Config config = make_config();
  config.set("optim.lr_max=0.5x");
  config.set("train.steps=1e3");
  config.set("train.nesterov=maybe");
  REQUIRE_THROWS_AS(config.get_double("optim.lr_max"), UsageError);
  REQUIRE_THROWS_WITH(config.get_double("optim.lr_max"), Contains("optim.lr_max") && Contains("0.5x"));
  REQUIRE_THROWS_WITH(config.get_int("train.steps"), Contains("train.steps") && Contains("1e3"));
  REQUIRE_THROWS_WITH(config.get_bool("train.nesterov"), Contains("train.nesterov") && Contains("maybe"));
  REQUIRE_THROWS_WITH(config.get_double("schedule.lr"), Contains("schedule.lr is not set"));
  config.set("train.nesterov=Yes");
  REQUIRE(config.get_bool("train.nesterov"));
}

TEST_CASE("an undeclared key asked for by code is a programming error", "[unit]") {
  Config config = make_config();
  REQUIRE_THROWS_AS(config.get("optim.nope"), std::invalid_argument);
  REQUIRE_THROWS_AS(Config({{"nodot", "", "", {}}}), std::invalid_argument);
  REQUIRE_THROWS_AS(Config({{"a.b", "x", "", {"y"}}}), std::invalid_argument);
}

TEST_CASE("values outside a key's choices are rejected with the accepted list", "[unit]") {
  TempDir dir;
  Config config = make_config();
  REQUIRE_THROWS_WITH(config.set("optim.kind=adam"), Contains("optim.kind='adam'") && Contains("sgd, adamw"));
  fs::path file = dir.write("run.ini", "[schedule]\npolicy = onecyle\n");
  REQUIRE_THROWS_WITH(config.load_file(file), Contains(file.string() + ":2: schedule.policy='onecyle'") && Contains("constant, onecycle"));
}

TEST_CASE("an empty file (or only comments) leaves the defaults", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("empty.ini", ""));
  config.load_file(dir.write("comments.ini", "# nothing here\n\n   \n"));
  REQUIRE(config.get("optim.momentum") == "0.9");
  REQUIRE(config.section("optim").empty());
}

TEST_CASE("a binary or garbled file is rejected naming the file and line", "[unit]") {
  TempDir dir;
  Config config = make_config();
  const char bytes[] = "[optim]\nlr_max = 0.5\n\x7f" "ELF\x02\x01\x01\0\0\xff\xfe";
  std::string garbage(bytes, sizeof bytes - 1);
  fs::path binary = dir.write("model.pt", garbage);
  REQUIRE_THROWS_AS(config.load_file(binary), UsageError);
  REQUIRE_THROWS_WITH(config.load_file(binary), Contains(binary.string() + ":3:") && Contains("binary"));
  fs::path junk = dir.write("junk.ini", "[optim]\nthis is not ini\n");
  REQUIRE_THROWS_WITH(config.load_file(junk), Contains(junk.string() + ":2:") && Contains("this is not ini"));
  fs::path header = dir.write("header.ini", "[optim\nlr_max = 1\n");
  REQUIRE_THROWS_WITH(config.load_file(header), Contains(header.string() + ":1:"));
}

TEST_CASE("a missing config file is a usage error naming the path", "[unit]") {
  TempDir dir;
  Config config = make_config();
  fs::path missing = dir.path() / "nope.ini";
  REQUIRE_THROWS_AS(config.load_file(missing), UsageError);
  REQUIRE_THROWS_WITH(config.load_file(missing), Contains(missing.string()));
  REQUIRE_THROWS_WITH(config.load_file(dir.path()), Contains(dir.path().string()));
}

TEST_CASE("to_ini reloads into the same configuration (round trip)", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("run.ini", "[optim]\nlr_max = 0.5\n[data]\nname = synthetic:n=100\n"));
  config.set("schedule.policy=constant");
  config.set("train.steps=250");
  std::string ini = config.to_ini();
  INFO(ini);
  REQUIRE_THAT(ini, Contains("# peak learning rate\nlr_max = 0.5\n"));
  REQUIRE_THAT(ini, Contains("(one of: sgd, adamw)"));
  REQUIRE(ini.find("[data]") < ini.find("[optim]"));
  REQUIRE(ini.find("[schedule]") < ini.find("[train]"));

  Config reloaded = make_config();
  reloaded.load_file(dir.write("resolved.ini", ini));
  REQUIRE(reloaded.to_ini() == ini);
  for (const auto& key : config.key_names()) REQUIRE(reloaded.get(key) == config.get(key));
  REQUIRE_FALSE(reloaded.has("schedule.lr"));  // unset keys stay unset
}

TEST_CASE("section() returns only the explicitly set keys, without the prefix", "[unit]") {
  TempDir dir;
  Config config = make_config();
  config.load_file(dir.write("run.ini", "[optim]\nlr_max = 0.5\n"));
  config.set("optim.kind=adamw");
  REQUIRE(config.section("optim") == std::map<std::string, std::string>{{"kind", "adamw"}, {"lr_max", "0.5"}});
  REQUIRE(config.section("train").empty());
  REQUIRE(config.get("optim.momentum") == "0.9");  // defaults are resolved, not listed
}

TEST_CASE("a --set value that to_ini could not load back is refused (fuzz finding)", "[unit]") {
  // Found by fuzz/fuzz_config (fuzz/regressions/config/set-binary-value).
  Config config = make_config();
  REQUIRE_THROWS_WITH(config.set("data.name=\xff\x06" "a"), Catch::Matchers::Contains("data.name"));
  config.set("data.name=f\xc3\xa9" "e");  // valid UTF-8 is fine
  TempDir dir;
  Config reloaded = make_config();
  reloaded.load_file(dir.write("round.ini", config.to_ini()));
  REQUIRE(reloaded.get("data.name") == "f\xc3\xa9" "e");
}
