using Karma.Core.Text;
using static TorchSharp.torch;

namespace Karma.Training.Evaluation;

/// <summary>
/// Semantic fidelity of the interest embedding, measured the same way for every objective: a linear probe
/// h_t → vocabulary logits is fitted on training examples (soft-label cross-entropy against the target item's
/// text tokens), then on test examples we count the share of the target's distinct text tokens that are among
/// the probe's 50 most probable tokens (SF@50). Only h_t reaches the probe, so the score says how much of the
/// next item's meaning the embedding still carries, whatever decoders the model was trained with.
/// </summary>
public static class SemanticProbe
{
    /// <summary>Fits the probe and returns SF@k on the test examples.</summary>
    public static double Fidelity(Tensor trainInterest, IReadOnlyList<int[]> trainTargets, Tensor testInterest,
        IReadOnlyList<int[]> testTargets, int vocabSize, int seed, int k = 50, int steps = 300)
    {
        ArgumentNullException.ThrowIfNull(trainInterest);
        ArgumentNullException.ThrowIfNull(trainTargets);
        ArgumentNullException.ThrowIfNull(testInterest);
        ArgumentNullException.ThrowIfNull(testTargets);
        manual_seed(seed);
        long dim = trainInterest.shape[1];
        using var probe = nn.Linear(dim, vocabSize);
        using var targets = SoftTargets(trainTargets, vocabSize);
        using var opt = optim.Adam(probe.parameters(), 1e-2);
        using (var x = trainInterest.detach())
        {
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                var logp = nn.functional.log_softmax(probe.forward(x), 1);
                var loss = -(targets * logp).sum(1).mean();
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
        }

        using var noGrad = no_grad();
        using var logits = probe.forward(testInterest.detach());
        using var top = logits.topk(Math.Min(k, vocabSize), 1).indexes;
        long[] topIds = top.data<long>().ToArray();
        int width = (int)top.shape[1];
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < testTargets.Count; i++)
        {
            var wanted = Distinct(testTargets[i]);
            if (wanted.Count == 0)
            {
                continue;
            }

            var got = new HashSet<long>(topIds.Skip(i * width).Take(width));
            sum += wanted.Count(w => got.Contains(w)) / (double)wanted.Count;
            counted++;
        }

        return counted == 0 ? double.NaN : sum / counted;
    }

    private static HashSet<long> Distinct(int[] tokens)
        => tokens.Where(t => t >= SpecialTokens.Count).Select(t => (long)t).ToHashSet();

    private static Tensor SoftTargets(IReadOnlyList<int[]> targets, int vocabSize)
    {
        var m = new float[targets.Count * vocabSize];
        for (int i = 0; i < targets.Count; i++)
        {
            var d = Distinct(targets[i]);
            foreach (long t in d)
            {
                m[i * vocabSize + t] = 1f / d.Count;
            }
        }

        return tensor(m, [targets.Count, vocabSize]);
    }
}
