using System.Text;
using System.Text.RegularExpressions;
using Karma.Cli.Commands;

namespace Karma.Cli.Tests;

/// <summary>
/// Every <c>karma</c> command line the README, docs/ and examples/ show in a shell block parses against the real
/// command tree: a renamed option or command fails here, not in a reader's terminal. (Running them is CI's job where
/// it can: the tool install, the examples; most of the others are hour-long trainings.)
/// </summary>
public sealed class DocumentedCommandTests
{
    public static TheoryData<string, int, string> DocumentedCommands()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var (file, line, command) in DocumentedCommandLines.All(RepositoryPaths.Root))
        {
            data.Add(file, line, command);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DocumentedCommands))]
    public void Documented_command_line_parses(string file, int line, string command)
    {
        var parse = KarmaCommandLine.CreateRoot().Parse(DocumentedCommandLines.KarmaArguments(command));
        Assert.True(parse.Errors.Count == 0,
            $"{file}:{line}: `{command}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    [Fact]
    public void The_documents_show_the_commands_this_test_checks()
    {
        var all = DocumentedCommandLines.All(RepositoryPaths.Root).ToList();
        Assert.Contains(all, c => c.File == "README.md" && c.Command.StartsWith("karma loadtest", StringComparison.Ordinal));
        Assert.True(all.Count >= 30, $"only {all.Count} documented karma command lines found");
    }

    [Fact]
    public void Shell_words_keep_quoted_spaces_and_drop_comments()
    {
        Assert.Equal(["client", "search", "--query", "frying pan", "--top-n", "5"],
            DocumentedCommandLines.KarmaArguments("./karma client search --query \"frying pan\" --top-n 5   # a comment"));
        Assert.Equal(["bench", "e2e"], DocumentedCommandLines.KarmaArguments("dotnet run --project src/Karma.Cli -c Release -- bench e2e"));
    }
}

/// <summary>The karma command lines in the repository's Markdown: shell code blocks, continuation lines joined.</summary>
internal static partial class DocumentedCommandLines
{
    public static IEnumerable<(string File, int Line, string Command)> All(string root)
    {
        var files = new[] { Path.Combine(root, "README.md") }
            .Concat(MarkdownUnder(Path.Combine(root, "docs")))
            .Concat(MarkdownUnder(Path.Combine(root, "examples")));
        foreach (string path in files)
        {
            string name = Path.GetRelativePath(root, path);
            bool inFence = false, inShell = false;
            var pending = new StringBuilder();
            int start = 0;
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                string text = lines[i];
                if (text.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    inShell = !inFence && ShellFence().IsMatch(text.Trim());
                    inFence = !inFence;
                    pending.Clear();
                    continue;
                }

                if (!inShell)
                {
                    continue;
                }

                if (pending.Length == 0)
                {
                    start = i + 1;
                }

                string trimmed = text.TrimEnd();
                if (trimmed.EndsWith('\\'))
                {
                    pending.Append(trimmed[..^1]).Append(' ');
                    continue;
                }

                pending.Append(trimmed);
                string command = pending.ToString().Trim();
                pending.Clear();
                if (IsKarma(command))
                {
                    yield return (name, start, command);
                }
            }
        }
    }

    private static IEnumerable<string> MarkdownUnder(string dir)
        => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [];

    private static bool IsKarma(string command)
    {
        var words = ShellWords(command);
        return words.Count > 1 && (words[0] is "karma" or "./karma" || DotnetCli(words) >= 0);
    }

    /// <summary>The arguments after the program: <c>karma …</c>, <c>./karma …</c>, <c>dotnet run --project src/Karma.Cli … -- …</c>.</summary>
    public static string[] KarmaArguments(string command)
    {
        var words = ShellWords(command);
        int dash = DotnetCli(words);
        return dash >= 0 ? [.. words.Skip(dash + 1)] : [.. words.Skip(1)];
    }

    private static int DotnetCli(List<string> words)
        => words.Count > 2 && words[0] == "dotnet" && words.Contains("src/Karma.Cli") ? words.IndexOf("--") : -1;

    /// <summary>POSIX-shell words: single and double quotes group, an unquoted # at a word's start begins a comment.</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    [GeneratedRegex("^```(bash|sh|shell|console)$")]
    private static partial Regex ShellFence();
}
