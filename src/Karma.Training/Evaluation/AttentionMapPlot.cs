using ScottPlot;
using static TorchSharp.torch;

namespace Karma.Training.Evaluation;

/// <summary>
/// The attention "barcode" picture: the last layer's attention (mean over heads) of a few test sequences, each a
/// query-position × key-position map up to [INT], side by side. A model that collapsed into an id matcher shows a few
/// bright columns (every position attends to the same keys: attention sinks); a healthy one a spread lower triangle.
/// </summary>
public static class AttentionMapPlot
{
    /// <summary>The file name inside a checkpoint directory.</summary>
    public const string FileName = "attention.png";

    /// <summary>
    /// Draws up to <paramref name="sequences"/> maps from chunks laid out as <see cref="AttentionSinks.Compute"/> reads
    /// them; does nothing when there is no chunk.
    /// </summary>
    public static void Save(IReadOnlyList<Tensor> chunks, int layers, string path, string title, int sequences = 6)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count < layers + 1)
        {
            return;
        }

        long[] lengths = chunks[0].data<long>().ToArray();
        using var mean = chunks[layers].mean([1]);      // last layer [B, T, T], mean over heads
        float[] p = mean.data<float>().ToArray();
        long t = mean.shape[1];
        int shown = (int)Math.Min(sequences, lengths.Length);
        int rows = (int)lengths.Take(shown).Max();
        int cols = (int)lengths.Take(shown).Sum() + shown - 1;
        var cells = new double[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                cells[r, c] = double.NaN;
            }
        }

        int left = 0;
        for (int b = 0; b < shown; b++)
        {
            for (int q = 0; q < lengths[b]; q++)
            {
                for (int k = 0; k <= q; k++)
                {
                    cells[q, left + k] = p[(b * t + q) * t + k];
                }
            }

            left += (int)lengths[b] + 1;
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.White;
        plot.Add.ColorBar(heatmap);
        plot.Title(title);
        plot.XLabel($"key position, {shown} test sequences side by side (each from [BOS] at its left)");
        plot.YLabel("query position, [BOS] at the top, [INT] last");
        // Positions restart in every map, so the axes' numbers would mislead.
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        plot.SavePng(path, 1100, 420);
    }
}
