#include "document.hpp"

#include <sstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/report/figures.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A table cell stays one cell: '|' escaped, line breaks folded.
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"(body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:90%}th,td{border:1px solid #bbb;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eee}figure{margin:1.5em 0}figure .plot svg{width:100%;height:auto;max-width:900px}
figcaption{font-size:90%;color:#444}code{background:#f4f4f4})";

}  // namespace

std::string to_markdown(const Document& document) {
  std::ostringstream md;
  for (const Block& block : document.blocks()) {
    switch (block.kind) {
      case Block::Kind::kHeading:
        md << std::string(static_cast<std::size_t>(block.level), '#') << " " << block.text << "\n\n";
        break;
      case Block::Kind::kParagraph:
        md << block.text << "\n\n";
        break;
      case Block::Kind::kList:
        for (const auto& item : block.items) md << "- " << item << "\n";
        md << "\n";
        break;
      case Block::Kind::kTable:
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
          md << "|";
          for (const auto& cell : block.rows[r]) md << " " << md_cell(cell) << " |";
          md << "\n";
          if (r == 0) {
            md << "|";
            for (std::size_t c = 0; c < block.rows[0].size(); ++c) md << "---|";
            md << "\n";
          }
        }
        md << "\n";
        break;
      case Block::Kind::kFigure:
        if (block.rendered) {
          md << "![" << block.text << "](figures/" << block.figure << ".svg)\n\n";
        } else {
          md << "*(figure not rendered)*\n\n";
        }
        md << block.text << " Files: figures/" << block.figure << ".dat, figures/" << block.figure << ".gp"
           << (block.rendered ? ", figures/" + block.figure + ".png" : "") << ".\n\n";
        break;
    }
  }
  return md.str();
}

std::string to_html(const Document& document, const std::string& title, const fs::path& figures_dir) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
       << "</title>\n<style>\n" << kStyle << "\n</style>\n</head>\n<body>\n";
  for (const Block& block : document.blocks()) {
    switch (block.kind) {
      case Block::Kind::kHeading:
        html << "<h" << block.level << ">" << html_escape(block.text) << "</h" << block.level << ">\n";
        break;
      case Block::Kind::kParagraph:
        html << "<p>" << html_escape(block.text) << "</p>\n";
        break;
      case Block::Kind::kList:
        html << "<ul>\n";
        for (const auto& item : block.items) html << "<li>" << html_escape(item) << "</li>\n";
        html << "</ul>\n";
        break;
      case Block::Kind::kTable:
        html << "<table>\n";
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
          html << "<tr>";
          for (const auto& cell : block.rows[r]) html << (r == 0 ? "<th>" : "<td>") << html_escape(cell) << (r == 0 ? "</th>" : "</td>");
          html << "</tr>\n";
        }
        html << "</table>\n";
        break;
      case Block::Kind::kFigure: {
        html << "<figure id=\"figure-" << html_escape(block.figure) << "\">\n";
        std::string svg;
        if (block.rendered) {
          try {
            svg = inline_svg(core::read_file(figures_dir / (block.figure + ".svg")), block.figure + "-");
          } catch (const std::exception&) {
            // An unreadable SVG costs the picture, not the report.
            svg.clear();
          }
        }
        html << "<div class=\"plot\">" << (svg.empty() ? "<p><em>(figure not rendered)</em></p>" : svg) << "</div>\n";
        html << "<figcaption>" << html_escape(block.text) << " Files: <a href=\"figures/" << html_escape(block.figure)
             << ".dat\">data</a>, <a href=\"figures/" << html_escape(block.figure) << ".gp\">gnuplot script</a>";
        if (block.rendered) html << ", <a href=\"figures/" << html_escape(block.figure) << ".png\">PNG</a>";
        html << ".</figcaption>\n</figure>\n";
        break;
      }
    }
  }
  html << "</body>\n</html>\n";
  return html.str();
}

}  // namespace curvtrack::report
