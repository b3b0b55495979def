#include "cli/completion.h"

#include <vector>

namespace strm::cli {
namespace {

struct Node {
  std::string path;  // " create data-connector" (words after strm, each after a space)
  std::vector<std::string> words;
};

// Every command path with the words that may follow it: its subcommands and its flags.
void Walk(const CLI::App& app, const std::string& path, std::vector<Node>& out) {
  Node node{path, {}};
  for (const CLI::App* sub : app.get_subcommands({})) {
    node.words.push_back(sub->get_name());
    Walk(*sub, path + " " + sub->get_name(), out);
  }
  for (const CLI::Option* opt : app.get_options({})) {
    for (const std::string& l : opt->get_lnames()) node.words.push_back("--" + l);
  }
  out.push_back(std::move(node));
}

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::string BashScript(const CLI::App& app) {
  std::vector<Node> nodes;
  Walk(app, "", nodes);
  std::string paths, cases;
  for (const Node& n : nodes) {
    if (!n.path.empty()) paths += "    \"" + n.path + "\") ;;\n";
    cases += "    \"" + n.path + "\") words=\"" + Join(n.words) + "\" ;;\n";
  }
  // The path is the command words typed so far (flags and their values skipped: a word
  // extends the path only if the longer path is a command).
  return "# bash completion for strm (strm completion bash)\n"
         "_strm() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} path=\"\" i next words\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    next=\"$path ${COMP_WORDS[i]}\"\n"
         "    case \"$next\" in\n" +
         paths +
         "    *) continue ;;\n"
         "    esac\n"
         "    path=$next\n"
         "  done\n"
         "  case \"$path\" in\n" +
         cases +
         "    *) words=\"\" ;;\n"
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -W \"$(tr ' ' '\\n' <<<\"$words\" | grep -v '^-')\" -- "
         "\"$cur\"))\n"
         "    [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -F _strm strm\n";
}

}  // namespace

Result<std::string> CompletionScript(const CLI::App& app, const std::string& shell) {
  if (shell == "bash") return BashScript(app);
  if (shell == "zsh")
    return "#compdef strm\n"
           "# zsh completion for strm (strm completion zsh), through bashcompinit\n"
           "autoload -U +X bashcompinit && bashcompinit\n" +
           BashScript(app);
  return InvalidArgument("no completion for shell '" + shell + "': use bash or zsh");
}

}  // namespace strm::cli
