using static TorchSharp.torch;

namespace Karma.Training.Evaluation;

/// <summary>
/// The attention-sink diagnostic: for every layer, head and query position t ≥ 1 of the real (unpadded)
/// prefix up to [INT], the largest attention weight over keys, averaged; plus the mass on position 0. A
/// collapsed model puts most of its attention on one or two positions ("barcode" maps).
/// </summary>
public static class AttentionSinks
{
    /// <summary>Computes the report from chunks laid out as [lengths, layer 0 probs, …, layer L-1 probs].</summary>
    public static AttentionSinkReport Compute(IReadOnlyList<Tensor> chunks, int layers)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var maxSum = new double[layers];
        double firstSum = 0, uniformSum = 0;
        long count = 0;
        for (int c = 0; c < chunks.Count; c += layers + 1)
        {
            long[] lengths = chunks[c].data<long>().ToArray();
            for (int l = 0; l < layers; l++)
            {
                var p = chunks[c + 1 + l];                 // [B, H, T, T]
                long heads = p.shape[1], t = p.shape[2];
                var (maxValues, maxIndexes) = p.max(-1);
                using var max = maxValues;                 // [B, H, T]
                maxIndexes.Dispose();
                using var first = p.select(-1, 0);          // [B, H, T]
                float[] mx = max.data<float>().ToArray();
                float[] fs = first.data<float>().ToArray();
                for (int b = 0; b < lengths.Length; b++)
                {
                    for (long h = 0; h < heads; h++)
                    {
                        for (long q = 1; q < lengths[b]; q++)
                        {
                            long at = (b * heads + h) * t + q;
                            maxSum[l] += mx[at];
                            if (l == 0)
                            {
                                count++;
                                uniformSum += 1.0 / (q + 1);
                            }

                            firstSum += fs[at];
                        }
                    }
                }
            }
        }

        if (count == 0)
        {
            return new AttentionSinkReport(double.NaN, double.NaN, double.NaN, new double[layers]);
        }

        var perLayer = maxSum.Select(s => s / count).ToArray();
        return new AttentionSinkReport(perLayer.Average(), firstSum / (count * layers), uniformSum / count, perLayer);
    }
}
