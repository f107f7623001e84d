namespace Karma.Evaluation;

/// <summary>
/// What one system did on each example: the target's position in its list (-1 when absent) and the share of its
/// first 10 results in the target's category. Everything else is derived from these, so the per-example file is
/// enough to recompute any figure or interval.
/// </summary>
public sealed class ExampleOutcomes
{
    /// <summary>Computes the outcomes of ranked lists.</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="ranked">Each example's list (rows of the evaluation catalog), best first.</param>
    /// <param name="leafOf">Category number of each row.</param>
    public ExampleOutcomes(IReadOnlyList<EvaluationExample> examples, IReadOnlyList<int[]> ranked, IReadOnlyList<int> leafOf)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(leafOf);
        if (ranked.Count != examples.Count)
        {
            throw new ArgumentException($"{ranked.Count} lists for {examples.Count} examples", nameof(ranked));
        }

        Ranks = new int[examples.Count];
        CategoryPrecision10 = new double[examples.Count];
        for (int e = 0; e < examples.Count; e++)
        {
            int[] list = ranked[e];
            Ranks[e] = Array.IndexOf(list, examples[e].Target);
            int leaf = leafOf[examples[e].Target];
            int top = Math.Min(10, list.Length);
            int same = 0;
            for (int i = 0; i < top; i++)
            {
                same += leafOf[list[i]] == leaf ? 1 : 0;
            }

            // Out of 10 whatever the list's length: a system that returns fewer results shows fewer relevant ones.
            CategoryPrecision10[e] = same / 10.0;
        }
    }

    /// <summary>Zero-based position of the target, -1 when the list does not hold it.</summary>
    public int[] Ranks { get; }

    /// <summary>Share of the first 10 results in the target's category.</summary>
    public double[] CategoryPrecision10 { get; }

    /// <summary>1 when the target is in the first <paramref name="k"/> results, per example.</summary>
    public double[] Hits(int k) => Ranks.Select(r => r >= 0 && r < k ? 1.0 : 0.0).ToArray();

    /// <summary>NDCG@10 per example (one relevant item).</summary>
    public double[] Ndcg10() => Ranks.Select(r => r >= 0 && r < 10 ? 1.0 / Math.Log2(r + 2) : 0.0).ToArray();
}
