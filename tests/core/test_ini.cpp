#include "test_prelude.hpp"

#include <filesystem>
#include <utility>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/ini.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace curvtrack::core;
using Catch::Matchers::Equals;

namespace {

// The message parse_ini throws for `text` (empty when it parses).
std::string error_of(const std::string& text, const std::vector<std::string>& known_keys = {}) {
  try {
    parse_ini(text, "f.ini", known_keys);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

// Each text must be rejected with exactly its message.
void check_errors(const std::vector<std::pair<std::string, std::string>>& cases,
                  const std::vector<std::string>& known_keys = {}) {
  for (const auto& [text, message] : cases) {
    INFO(text);
    CHECK_THAT(error_of(text, known_keys), Equals(message));
  }
}

// Entries as "section.key=value@line", compact to compare.
std::vector<std::string> flat(const IniDocument& document) {
  std::vector<std::string> out;
  for (const auto& e : document.entries) out.push_back(e.section + "." + e.key + "=" + e.value + "@" + std::to_string(e.line));
  return out;
}

}  // namespace

TEST_CASE("parse_ini: headers and trimmed key = value lines in file order, with line numbers", "[unit]") {
  IniDocument ini = parse_ini("[b]\n  y =  2  \nx=1\n\n[ a ]\nz = p=q\n[b]\nw =\n", "f.ini");
  CHECK(flat(ini) == std::vector<std::string>{"b.y=2@2", "b.x=1@3", "a.z=p=q@6", "b.w=@8"});
  REQUIRE(ini.sections.size() == 3);  // a repeated header is listed each time
  CHECK(ini.sections[0].name == "b");
  CHECK(ini.sections[1].name == "a");  // the name is trimmed
  CHECK(ini.sections[1].line == 5);
  CHECK(ini.sections[2].line == 7);
  CHECK(parse_ini("", "f.ini").entries.empty());
}

TEST_CASE("parse_ini: an empty value is kept as empty", "[unit]") {
  IniDocument ini = parse_ini("[s]\nk =\nj=   # nothing\n", "f.ini");
  CHECK(flat(ini) == std::vector<std::string>{"s.k=@2", "s.j=@3"});
}

TEST_CASE("parse_ini: '#' starts a comment anywhere, a semicolon first or after whitespace", "[unit]") {
  IniDocument ini = parse_ini(
      "# top\n; also a comment\n[s]  # header comment\na = 1 # note\nb = 2 ; note\nc = --x;--y\nd = u#v\n  ;indented\ne=;kept\n",
      "f.ini");
  CHECK(flat(ini) == std::vector<std::string>{"s.a=1@4", "s.b=2@5", "s.c=--x;--y@6", "s.d=u@7", "s.e=;kept@9"});
  CHECK(ini_comment_start("a;b") == std::string::npos);
  CHECK(ini_comment_start("a ;b") == 2);
  CHECK(ini_comment_start("\t;") == 1);
  CHECK(ini_comment_start("a;b#c") == 3);
}

TEST_CASE("parse_ini: a BOM is dropped and CRLF line ends are read like LF", "[unit]") {
  IniDocument ini = parse_ini("\xEF\xBB\xBF[s]\r\nk = v\r\nempty =\r\n# c\r\n", "f.ini");
  CHECK(flat(ini) == std::vector<std::string>{"s.k=v@2", "s.empty=@3"});
  CHECK(ini.sections.at(0).name == "s");
  CHECK(parse_ini("[s]\nk = caf\xc3\xa9\n", "f.ini").entries.at(0).value == "caf\xc3\xa9");  // UTF-8 is text
}

TEST_CASE("parse_ini: binary or garbled content is rejected naming the line and byte", "[unit]") {
  const std::string tail = "; expected an INI text file";
  check_errors({{"[s]\nk = v\nx\x01y = 1\n", "f.ini:3: binary or garbled content (byte 0x01)" + tail},
                {std::string("[s]\n\0", 5), "f.ini:2: binary or garbled content (byte 0x00)" + tail},
                {"[s]\nk = \xff\xfe\n", "f.ini:2: binary or garbled content (byte 0xff)" + tail},
                {"# \x7f\n", "f.ini:1: binary or garbled content (byte 0x7f)" + tail},
                {"[s]\nk = v # \x02 in a comment\n", "f.ini:2: binary or garbled content (byte 0x02)" + tail}});
}

TEST_CASE("parse_ini: a malformed section header names the line and the header", "[unit]") {
  check_errors({{"[s]\n[t\nk = 1\n", "f.ini:2: malformed section header '[t'"},
                {"[]\n", "f.ini:1: malformed section header '[]'"},
                {"[  ]\n", "f.ini:1: malformed section header '[  ]'"},
                {"[s] k = 1\n", "f.ini:1: malformed section header '[s] k = 1'"},
                {"[a]b]\n", "f.ini:1: malformed section header '[a]b]'"}});
}

TEST_CASE("parse_ini: a line without '=' or without a key is rejected", "[unit]") {
  check_errors({{"[s]\njust words  # c\n", "f.ini:2: expected 'key = value' or '[section]', got 'just words'"},
                {"[s]\n = 1\n", "f.ini:2: missing key name before '=' in '= 1'"}});
}

TEST_CASE("parse_ini: a key before any [section] names the line, the key and its section if known", "[unit]") {
  const std::string message = "key 'lr' comes before any [section]; write it under its section";
  check_errors({{"# c\n\nlr = 0.1\n[schedule]\n", "f.ini:3: " + message}});
  check_errors({{"lr = 0.1\n", "f.ini:1: " + message + ", e.g. [schedule]"},
                {"name = x\n", "f.ini:1: key 'name' comes before any [section]; write it under its section, e.g. [data] or [run]"}},
               {"optim.eps", "schedule.lr", "schedule.lr_max", "data.name", "run.name", "run.seed"});
}

TEST_CASE("parse_ini: a key given twice in a section names both lines", "[unit]") {
  check_errors({{"[a]\nk = 1\n[b]\nk = 2\n[a]\nk = 3\n", "f.ini:6: key k in [a] is given twice (first on line 2)"}});
  CHECK(parse_ini("[a]\nk = 1\n[b]\nk = 2\n", "f.ini").entries.size() == 2);  // other sections are other keys
}

TEST_CASE("read_ini_file names the path of a missing file or a folder", "[unit]") {
  curvtrack::testing::TempDir temp;
  const fs::path& dir = temp.path();
  temp.write("a.ini", "[s]\nk = v\n");
  CHECK(read_ini_file(dir / "a.ini", "config file") == "[s]\nk = v\n");
  CHECK_THROWS_WITH(read_ini_file(dir / "nope.ini", "study file"), Equals("study file " + (dir / "nope.ini").string() + " does not exist"));
  CHECK_THROWS_WITH(read_ini_file(dir, "config file"), Equals("config file " + dir.string() + " is a directory"));
  CHECK_THROWS_AS(read_ini_file(dir, "config file"), UsageError);
}
