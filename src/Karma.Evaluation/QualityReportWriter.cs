using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ScottPlot;

namespace Karma.Evaluation;

/// <summary>Writes a quality evaluation: <c>quality.json</c>, <c>quality.md</c>, <c>quality.png</c> and <c>examples.csv</c>.</summary>
public static class QualityReportWriter
{
    /// <summary>File names.</summary>
    public const string JsonFile = "quality.json", MarkdownFile = "quality.md", PngFile = "quality.png", ExamplesFile = "examples.csv";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes every file into <paramref name="dir"/>.</summary>
    public static void WriteFiles(string dir, QualityResult result, string command)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, JsonFile), JsonSerializer.Serialize(result.Report, Options) + "\n");
        File.WriteAllText(Path.Combine(dir, MarkdownFile), ToMarkdown(result.Report, command));
        WriteExamples(Path.Combine(dir, ExamplesFile), result);
        SavePng(result.Report, Path.Combine(dir, PngFile));
    }

    /// <summary>Reads a report written by <see cref="WriteFiles"/>.</summary>
    public static QualityReport Read(string path)
        => JsonSerializer.Deserialize<QualityReport>(File.ReadAllText(path), Options) ?? throw new InvalidDataException($"{path}: empty report");

    /// <summary>The systems table and the Search-vs-others table with intervals.</summary>
    public static string ToMarkdown(QualityReport r, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Search quality of `{r.ModelVersion}`");
        sb.AppendLine();
        string intent = r.IntentAccuracy is { } i
            ? string.Create(CultureInfo.InvariantCulture,
                $" The target's category was the request's likeliest by the query's BM25 matches for {i.Lexical:P1}, by the interest embedding for {i.Karma:P1}, by both combined for {i.Combined:P1}.")
            : string.Empty;
        intent += r.ExplainAccuracy is { } x
            ? string.Create(CultureInfo.InvariantCulture,
                $" Explain's {Systems.PackageRunner.ExplainWords} decoded words named the target's leaf category for {x.Leaf:P1} of {x.Requests:N0} requests, its leaf or parent for {x.LeafOrParent:P1}, any word of its path for {x.AnyPathWord:P1}.")
            : string.Empty;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Examples:N0} {r.Split} requests ({r.OutOfInterest:N0} out-of-interest: no history item in the target's category; {r.Cold:N0} with a cold target), " +
            $"{r.Items:N0} items, every list ranked over the whole catalog; Search recalls {r.RecallK} and returns {r.Depth}. " +
            $"Fused candidates held the target for {r.CandidateRecall:P1} of the requests; pre-ranker gAUC over {r.GaucRequests:N0} requests' impressions {r.PreRankGauc:F4}.{intent}");
        sb.AppendLine();
        sb.AppendLine("| system | kind | " + string.Join(" | ", QualityEvaluator.MetricNames) + " |");
        sb.AppendLine("|---|---|" + string.Concat(QualityEvaluator.MetricNames.Select(_ => "---:|")));
        foreach (var s in r.Systems)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Kind} | {string.Join(" | ", QualityEvaluator.MetricNames.Select(m => F(s.Metrics[m])))} |");
        }

        sb.AppendLine();
        sb.AppendLine("Search minus each other system, mean difference with its paired bootstrap 95% interval (* = the interval excludes 0):");
        sb.AppendLine();
        sb.AppendLine("| vs | " + string.Join(" | ", QualityEvaluator.ComparedMetrics) + " |");
        sb.AppendLine("|---|" + string.Concat(QualityEvaluator.ComparedMetrics.Select(_ => "---:|")));
        foreach (var group in r.Comparisons.GroupBy(c => c.B))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {string.Join(" | ", QualityEvaluator.ComparedMetrics.Select(m => Interval(group.Single(c => c.Metric == m))))} |");
        }

        sb.AppendLine();
        sb.AppendLine("Systems:");
        foreach (var s in r.Systems)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **{s.Name}**: {s.Description}");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Took {r.Seconds:F0} s. Command: `{command}`");
        return sb.ToString();
    }

    /// <summary>A difference as "+0.031 [+0.012, +0.050]*".</summary>
    public static string Interval(Comparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return string.Create(CultureInfo.InvariantCulture, $"{c.Difference:+0.000;-0.000;0.000} [{c.Low:+0.000;-0.000;0.000}, {c.High:+0.000;-0.000;0.000}]{(c.Significant ? "*" : string.Empty)}");
    }

    private static string F(double v) => double.IsNaN(v) ? "–" : v.ToString("F4", CultureInfo.InvariantCulture);

    private static void WriteExamples(string path, QualityResult result)
    {
        var names = result.Outcomes.Keys.ToList();
        using var w = new StreamWriter(path, append: false, new UTF8Encoding(false));
        w.WriteLine("example,user,target,query,out_of_interest,cold," + string.Join(',', names.SelectMany(n => new[] { Column(n) + "_rank", Column(n) + "_catp10" })));
        for (int e = 0; e < result.Examples.Count; e++)
        {
            var ex = result.Examples[e];
            var cells = new List<string>
            {
                e.ToString(CultureInfo.InvariantCulture), ex.User.ToString(CultureInfo.InvariantCulture), Csv(result.ItemIds[ex.Target]),
                Csv(ex.Query ?? string.Empty), ex.OutOfInterest ? "1" : "0", ex.Cold ? "1" : "0",
            };
            foreach (string n in names)
            {
                cells.Add(result.Outcomes[n].Ranks[e].ToString(CultureInfo.InvariantCulture));
                cells.Add(result.Outcomes[n].CategoryPrecision10[e].ToString("F1", CultureInfo.InvariantCulture));
            }

            w.WriteLine(string.Join(',', cells));
        }
    }

    private static string Column(string name) => new(name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());

    private static string Csv(string s) => s.AsSpan().IndexOfAny(",\"\r\n") >= 0
        ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : s;

    /// <summary>HR@10, HR@50, HR@200 and CatP@10 of every system as grouped bars.</summary>
    private static void SavePng(QualityReport r, string path)
    {
        var plot = new Plot();
        string[] metrics = ["HR@10", "HR@50", "HR@200", "CatP@10", "OOI HR@200"];
        var palette = new ScottPlot.Palettes.Category10();
        double group = metrics.Length + 1;
        for (int m = 0; m < metrics.Length; m++)
        {
            var bars = r.Systems.Select((s, i) => new Bar
            {
                Position = (i * group) + m,
                Value = double.IsNaN(s.Metrics[metrics[m]]) ? 0 : s.Metrics[metrics[m]],
                FillColor = palette.GetColor(m),
            }).ToList();
            plot.Add.Bars(bars).LegendText = metrics[m];
        }

        var ticks = r.Systems.Select((s, i) => new Tick((i * group) + ((metrics.Length - 1) / 2.0), s.Name)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, 1.2); // room above the bars for the legend
        plot.Title($"Search path vs baselines ({r.Examples:N0} {r.Split} requests)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1900, 650);
    }
}
