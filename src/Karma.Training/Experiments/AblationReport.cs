using System.Globalization;
using System.Text;
using ScottPlot;

namespace Karma.Training.Experiments;

/// <summary>Markdown tables and PNG chart of an ablation.</summary>
public static class AblationReport
{
    /// <summary>Search-path table (with the baselines), embedding table, and the paired differences.</summary>
    public static string ToMarkdown(AblationResult result, string command)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        int seeds = result.Rows.Count > 0 ? result.Rows[0].Seeds : 0;
        bool search = result.Runs.All(r => r.Search is not null);
        if (search)
        {
            sb.AppendLine("Search path (hybrid recall + pre-ranker, the served call) on the test requests:");
            sb.AppendLine();
            Table(sb, result.Rows.Concat(result.Baselines), AblationMetrics.SearchColumns.Select(c => c.Name).ToList());
            sb.AppendLine();
        }

        sb.AppendLine("The embedding alone (h_t · e ranked over all items) and its diagnostics:");
        sb.AppendLine();
        Table(sb, result.Rows.Append(result.Popularity), AblationMetrics.EmbeddingColumns.Select(c => c.Name).ToList());
        sb.AppendLine();
        if (result.Differences.Count > 0)
        {
            sb.AppendLine("Search-path differences, mean with paired bootstrap 95% interval over seeds and test requests (* = the interval excludes 0):");
            sb.AppendLine();
            sb.AppendLine("| objective | vs | " + string.Join(" | ", AblationMetrics.ComparedMetrics) + " |");
            sb.AppendLine("|---|---|" + string.Concat(AblationMetrics.ComparedMetrics.Select(_ => "---:|")));
            foreach (var g in result.Differences.GroupBy(d => (d.Objective, d.Baseline)))
            {
                string cells = string.Join(" | ", AblationMetrics.ComparedMetrics.Select(m => g.FirstOrDefault(d => d.Metric == m) is { } d
                    ? string.Create(CultureInfo.InvariantCulture, $"{d.Difference:+0.000;-0.000;0.000} [{d.Low:+0.000;-0.000;0.000}, {d.High:+0.000;-0.000;0.000}]{(d.Significant ? "*" : string.Empty)}")
                    : "–"));
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key.Objective} | {g.Key.Baseline} | {cells} |");
            }

            sb.AppendLine();
        }

        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Mean ± sample std over {seeds} seed(s); test = each user's last engagement. Total time {result.TotalSeconds / 60:F1} min. Command: `{command}`");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, IEnumerable<AblationRow> rows, List<string> cols)
    {
        sb.AppendLine("| objective | " + string.Join(" | ", cols) + " |");
        sb.AppendLine("|---|" + string.Concat(cols.Select(_ => "---:|")));
        foreach (var row in rows)
        {
            sb.Append("| ").Append(row.Objective).Append(" | ");
            sb.AppendJoin(" | ", cols.Select(c =>
            {
                var s = row.Metrics[c];
                if (double.IsNaN(s.Mean))
                {
                    return "–";
                }

                string format = c == "align s" ? "F0" : "F4"; // seconds, not fractions
                return row.Seeds > 1
                    ? $"{s.Mean.ToString(format, CultureInfo.InvariantCulture)} ± {s.Std.ToString(format, CultureInfo.InvariantCulture)}"
                    : s.Mean.ToString(format, CultureInfo.InvariantCulture);
            }));
            sb.AppendLine(" |");
        }
    }

    /// <summary>Grouped bars per objective (and baseline): Search HR@50, HR@200, out-of-interest HR@200, embedding SF@50; std error bars.</summary>
    public static void SavePng(AblationResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plot = new Plot();
        bool search = result.Runs.All(r => r.Search is not null);
        string[] metrics = search ? ["Search HR@50", "Search HR@200", "Search OOI HR@200", "SF@50"] : ["emb HR@200", "emb HR@200 cold", "SF@50"];
        var palette = new ScottPlot.Palettes.Category10();
        var rows = result.Rows.Concat(search ? result.Baselines : []).ToList();
        double groupWidth = metrics.Length + 1;
        for (int m = 0; m < metrics.Length; m++)
        {
            var bars = new List<Bar>();
            for (int r = 0; r < rows.Count; r++)
            {
                var s = rows[r].Metrics[metrics[m]];
                bars.Add(new Bar
                {
                    Position = (r * groupWidth) + m,
                    Value = double.IsNaN(s.Mean) ? 0 : s.Mean,
                    Error = s.Std,
                    FillColor = palette.GetColor(m),
                });
            }

            var series = plot.Add.Bars(bars);
            series.LegendText = metrics[m];
        }

        var ticks = rows.Select((r, i) => new Tick((i * groupWidth) + ((metrics.Length - 1) / 2.0), r.Objective)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, 1.2); // room above the bars for the legend
        plot.Title(search ? "KARMA ablation on the Search path, with the baselines" : "KARMA ablation: embedding recall and semantic fidelity");
        plot.YLabel("mean over seeds (error bar: std)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1300, 600);
    }
}
