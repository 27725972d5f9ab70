#pragma once
// The report as a list of blocks (headings, paragraphs, lists, tables, figures), written once and
// rendered the same way to Markdown (report.md) and to self-contained HTML (report.html).

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace curvtrack::report {

/// One block of the report.
struct Block {
  enum class Kind { kHeading, kParagraph, kList, kTable, kFigure } kind;  ///< what the block is
  int level = 0;                               ///< heading level
  std::string text;                            ///< heading, paragraph, figure caption
  std::vector<std::string> items;              ///< list items
  std::vector<std::vector<std::string>> rows;  ///< table, rows[0] the header
  std::string figure;                          ///< figure file stem
  bool rendered = false;                       ///< figure has an SVG
};

/// The blocks of a report in order; an empty list adds nothing.
class Document {
 public:
  /// Adds a heading of `level` (1 = title).
  void heading(int level, std::string text) { blocks_.push_back({Block::Kind::kHeading, level, std::move(text), {}, {}, "", false}); }
  /// Adds a paragraph.
  void paragraph(std::string text) { blocks_.push_back({Block::Kind::kParagraph, 0, std::move(text), {}, {}, "", false}); }
  /// Adds a bulleted list, nothing when `items` is empty.
  void list(std::vector<std::string> items) {
    if (!items.empty()) blocks_.push_back({Block::Kind::kList, 0, "", std::move(items), {}, "", false});
  }
  /// Adds a table; rows[0] is the header.
  void table(std::vector<std::vector<std::string>> rows) {
    blocks_.push_back({Block::Kind::kTable, 0, "", {}, std::move(rows), "", false});
  }
  /// Adds figure `name` (figures/NAME.*) with its caption; `rendered`: NAME.svg exists.
  void figure(std::string name, std::string caption, bool rendered) {
    blocks_.push_back({Block::Kind::kFigure, 0, std::move(caption), {}, {}, std::move(name), rendered});
  }
  /// The blocks in order.
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

/// report.md: figures linked as figures/NAME.svg.
std::string to_markdown(const Document& document);

/// report.html: one page with its style, the SVGs of `figures_dir` inlined, no external references.
std::string to_html(const Document& document, const std::string& title, const std::filesystem::path& figures_dir);

}  // namespace curvtrack::report
