using System.Globalization;
using System.Text;

namespace Karma.Training.Evaluation;

/// <summary>Markdown rendering of an <see cref="EvaluationReport"/>.</summary>
public static class ReportWriter
{
    /// <summary>File names of a saved report.</summary>
    public const string JsonFile = "metrics.json", MarkdownFile = "metrics.md";

    /// <summary>Writes <c>metrics.json</c> and <c>metrics.md</c> into <paramref name="dir"/> (the exporter reads the JSON).</summary>
    public static void WriteFiles(string dir, EvaluationReport report)
    {
        Directory.CreateDirectory(dir);
        Configuration.Json.Write(Path.Combine(dir, JsonFile), report);
        File.WriteAllText(Path.Combine(dir, MarkdownFile), ToMarkdown(report));
    }

    /// <summary>A readable markdown summary.</summary>
    public static string ToMarkdown(EvaluationReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Evaluation of `{r.Checkpoint}` ({r.Objective ?? "?"})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Test users: {r.Model.All.Count} ({r.Model.Warm.Count} warm, {r.Model.Cold.Count} cold targets); items ranked: {r.Items}.");
        sb.AppendLine();
        sb.AppendLine("| scorer | split | HR@50 | HR@200 | HR@1000 | NDCG@10 |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var (name, m) in new[] { ("model", r.Model), ("popularity", r.Popularity) })
        {
            foreach (var (split, x) in new[] { ("all", m.All), ("warm", m.Warm), ("cold", m.Cold) })
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {split} | {x.Hr50:F4} | {x.Hr200:F4} | {x.Hr1000:F4} | {x.Ndcg10:F4} |");
            }
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Semantic fidelity SF@50 (linear probe on h_t): {r.SemanticFidelity50:F4}");
        var s = r.AttentionSinks;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- Attention sinks: max-key mass {s.MaxKeyMass:F4} (uniform causal attention would give {s.UniformReference:F4}), mass on position 0 {s.FirstPositionMass:F4}; per layer {string.Join(", ", s.PerLayerMaxKeyMass.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Took {r.Seconds:F1} s");
        return sb.ToString();
    }
}
