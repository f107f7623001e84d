using ScottPlot;

namespace Karma.Training.Training;

/// <summary>Draws a run's loss curve (one line per loss term) as <c>loss.png</c> beside its checkpoint.</summary>
public static class LossCurvePlot
{
    /// <summary>The file name inside a checkpoint directory.</summary>
    public const string FileName = "loss.png";

    /// <summary>Writes the PNG; does nothing for an empty curve.</summary>
    public static void Save(IReadOnlyList<LossPoint> curve, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (curve.Count == 0)
        {
            return;
        }

        var plot = new Plot();
        foreach (string term in curve.SelectMany(p => p.Values.Keys).Distinct())
        {
            var points = curve.Where(p => p.Values.ContainsKey(term)).ToList();
            var line = plot.Add.ScatterLine(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Values[term]).ToArray());
            line.LegendText = term;
            line.MarkerSize = 0;
        }

        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("mean loss per 50 steps");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 450);
    }
}
