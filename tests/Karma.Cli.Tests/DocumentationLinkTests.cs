using System.Text.RegularExpressions;

namespace Karma.Cli.Tests;

/// <summary>
/// Every relative link in the repository's Markdown (README, docs/, examples/, deploy/, the source folders' notes)
/// points at a file that exists and, with a #fragment, at a heading that file has: moving a section breaks a test,
/// not a reader's click. Links leave the repository only as full URLs.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    private static readonly string Root = RepositoryPaths.Root;

    private static IEnumerable<string> MarkdownFiles()
        => new[] { "README.md" }.Select(f => Path.Combine(Root, f))
            .Concat(new[] { "docs", "examples", "deploy", "src", "models", "protos" }
                .Select(d => Path.Combine(Root, d)).Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "*.md", SearchOption.AllDirectories)))
            .Where(f => !f.Contains("node_modules", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (string f in MarkdownFiles())
        {
            data.Add(Path.GetRelativePath(Root, f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_relative_link_resolves(string file)
    {
        string path = Path.Combine(Root, file);
        var broken = new List<string>();
        foreach (Match m in Link().Matches(WithoutCode(File.ReadAllText(path))))
        {
            string target = m.Groups[1].Value;
            if (Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto")
            {
                continue;
            }

            int hash = target.IndexOf('#', StringComparison.Ordinal);
            string relative = hash < 0 ? target : target[..hash];
            string fragment = hash < 0 ? string.Empty : target[(hash + 1)..];
            string resolved = relative.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(relative)));
            if (!resolved.StartsWith(Root, StringComparison.Ordinal))
            {
                broken.Add($"{target}: outside the repository");
            }
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: no such file");
            }
            else if (fragment.Length > 0 && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(fragment))
            {
                broken.Add($"{target}: {Path.GetFileName(resolved)} has no heading #{fragment}");
            }
        }

        Assert.True(broken.Count == 0, $"{file}: " + string.Join("; ", broken));
    }

    [Fact]
    public void Anchors_follow_the_headings_slugs()
    {
        using var scratch = new TempDirectory("karma-anchors-");
        string dir = scratch.Path;
        string f = Path.Combine(dir, "a.md");
        File.WriteAllText(f, "# Top\n## Evaluation (`karma eval`)\n```bash\n# not a heading\n```\n### Explain, quality gate, drift\n");
        Assert.Equal(["top", "evaluation-karma-eval", "explain-quality-gate-drift"], Anchors(f));
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string path)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in WithoutFences(File.ReadAllText(path)).Split('\n'))
        {
            var m = Heading().Match(line);
            if (m.Success)
            {
                anchors.Add(Slug().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'));
            }
        }

        return anchors;
    }

    /// <summary>The text without code: fenced blocks and inline spans (a link or heading inside them is an example).</summary>
    private static string WithoutCode(string text) => InlineCode().Replace(WithoutFences(text), string.Empty);

    /// <summary>The text with fenced code blocks blanked (their lines kept).</summary>
    private static string WithoutFences(string text)
    {
        var lines = text.Split('\n');
        bool inFence = false;
        for (int i = 0; i < lines.Length; i++)
        {
            bool fence = lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal);
            if (fence || inFence)
            {
                lines[i] = string.Empty;
            }

            inFence ^= fence;
        }

        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} (.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex Slug();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();
}
