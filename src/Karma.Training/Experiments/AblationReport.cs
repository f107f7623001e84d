using System.Globalization;
using System.Text;
using ScottPlot;

namespace Karma.Training.Experiments;

/// <summary>Markdown table and PNG chart of an ablation.</summary>
public static class AblationReport
{
    /// <summary>The table: one row per objective, mean ± std over seeds.</summary>
    public static string ToMarkdown(AblationResult result, string command)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        var cols = AblationMetrics.Columns.Select(c => c.Name).ToList();
        sb.AppendLine("| objective | " + string.Join(" | ", cols) + " |");
        sb.AppendLine("|---|" + string.Concat(cols.Select(_ => "---:|")));
        foreach (var row in result.Rows.Append(result.Popularity))
        {
            sb.Append("| ").Append(row.Objective).Append(" | ");
            sb.AppendJoin(" | ", cols.Select(c =>
            {
                var s = row.Metrics[c];
                if (double.IsNaN(s.Mean))
                {
                    return "–";
                }

                return row.Seeds > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{s.Mean:F4} ± {s.Std:F4}")
                    : string.Create(CultureInfo.InvariantCulture, $"{s.Mean:F4}");
            }));
            sb.AppendLine(" |");
        }

        sb.AppendLine();
        int seeds = result.Rows.Count > 0 ? result.Rows[0].Seeds : 0;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Mean ± sample std over {seeds} seed(s); test = each user's last engagement, ranked against all items. Total time {result.TotalSeconds / 60:F1} min. Command: `{command}`");
        return sb.ToString();
    }

    /// <summary>Grouped bars of HR@200 (all, warm, cold) and SF@50 per objective, with std error bars.</summary>
    public static void SavePng(AblationResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plot = new Plot();
        string[] metrics = ["HR@200", "HR@200 warm", "HR@200 cold", "SF@50"];
        var palette = new ScottPlot.Palettes.Category10();
        var rows = result.Rows.ToList();
        double groupWidth = metrics.Length + 1;
        for (int m = 0; m < metrics.Length; m++)
        {
            var bars = new List<Bar>();
            for (int r = 0; r < rows.Count; r++)
            {
                var s = rows[r].Metrics[metrics[m]];
                bars.Add(new Bar
                {
                    Position = r * groupWidth + m,
                    Value = double.IsNaN(s.Mean) ? 0 : s.Mean,
                    Error = s.Std,
                    FillColor = palette.GetColor(m),
                });
            }

            var series = plot.Add.Bars(bars);
            series.LegendText = metrics[m];
        }

        var ticks = rows.Select((r, i) => new Tick(i * groupWidth + (metrics.Length - 1) / 2.0, r.Objective)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Margins(bottom: 0);
        plot.Title("KARMA ablation: recall (HR@200) and semantic fidelity (SF@50)");
        plot.YLabel("mean over seeds (error bar: std)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1100, 550);
    }
}
