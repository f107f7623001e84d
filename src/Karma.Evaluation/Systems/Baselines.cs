namespace Karma.Evaluation.Systems;

/// <summary>Most engaged items in the training period, the same list for everyone.</summary>
public sealed class PopularityBaseline(CatalogStatistics stats) : IRankingSystem
{
    /// <inheritdoc />
    public string Name => "popularity";

    /// <inheritdoc />
    public string Description => "items by training-period engagements";

    /// <inheritdoc />
    public IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int[] top = stats.ByPopularity.Take(depth).ToArray();
        return examples.Select(_ => top).ToList();
    }
}

/// <summary>BM25 over the query (title, category, brand, description); ties and browse requests by popularity.</summary>
public sealed class Bm25Baseline(CatalogStatistics stats) : IRankingSystem
{
    /// <inheritdoc />
    public string Name => "bm25";

    /// <inheritdoc />
    public string Description => "BM25 of the query over title, category, brand and description; then popularity";

    /// <inheritdoc />
    public IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Select(e =>
        {
            using var matches = stats.Lexical.Match(e.Query);
            var scored = new List<(int Row, float Score)>(matches.Count);
            for (int i = 0; i < matches.Count; i++)
            {
                scored.Add((matches.Rows[i], matches.Scores[i]));
            }

            var ranked = scored.OrderByDescending(s => s.Score).ThenByDescending(s => stats.Popularity[s.Row]).ThenBy(s => s.Row)
                .Take(depth).Select(s => s.Row).ToList();
            return stats.FillByPopularity(ranked, depth);
        }).ToList();
    }
}

/// <summary>
/// BM25 plus a boost for the user's categories: score = BM25 + w · ln(1 + history items in the item's category).
/// Items of the history's categories compete even without a query-term match. The weight is tuned on the
/// validation requests (<see cref="Tune"/>), so the baseline is as strong as this form allows.
/// </summary>
public sealed class Bm25HistoryBaseline(CatalogStatistics stats, double weight) : IRankingSystem
{
    /// <summary>Weights tried by <see cref="Tune"/>.</summary>
    public static readonly double[] Grid = [0.25, 0.5, 1, 2, 4, 8];

    /// <summary>The history boost's weight.</summary>
    public double Weight => weight;

    /// <inheritdoc />
    public string Name => "bm25+history";

    /// <inheritdoc />
    public string Description => $"BM25 + {weight:G3} · ln(1 + history items in the item's category); then popularity";

    /// <summary>The weight of <see cref="Grid"/> with the best HR@50 on <paramref name="validation"/> (ties: the smaller weight).</summary>
    public static double Tune(CatalogStatistics stats, IReadOnlyList<EvaluationExample> validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (validation.Count == 0)
        {
            return 1.0;
        }

        return Grid.Select(w => (Weight: w, Hr: new Bm25HistoryBaseline(stats, w).RankAll(validation, 50)
                .Zip(validation, (ranked, e) => Array.IndexOf(ranked, e.Target) >= 0 ? 1.0 : 0.0).Average()))
            .OrderByDescending(x => x.Hr).ThenBy(x => x.Weight).First().Weight;
    }

    /// <inheritdoc />
    public IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var byLeaf = ItemsByLeaf(stats);
        return examples.Select(e =>
        {
            var boost = new Dictionary<int, double>();
            foreach (var g in e.History.GroupBy(h => stats.Leaf[h]))
            {
                boost[g.Key] = weight * Math.Log(1 + g.Count());
            }

            var score = new Dictionary<int, double>();
            using (var matches = stats.Lexical.Match(e.Query))
            {
                for (int i = 0; i < matches.Count; i++)
                {
                    score[matches.Rows[i]] = matches.Scores[i];
                }
            }

            foreach (var (leaf, b) in boost)
            {
                foreach (int row in byLeaf[leaf])
                {
                    score[row] = score.GetValueOrDefault(row) + b;
                }
            }

            var ranked = score.OrderByDescending(s => s.Value).ThenByDescending(s => stats.Popularity[s.Key]).ThenBy(s => s.Key)
                .Take(depth).Select(s => s.Key).ToList();
            return stats.FillByPopularity(ranked, depth);
        }).ToList();
    }

    internal static int[][] ItemsByLeaf(CatalogStatistics stats)
    {
        var lists = Enumerable.Range(0, stats.LeafCount).Select(_ => new List<int>()).ToArray();
        for (int row = 0; row < stats.Leaf.Length; row++)
        {
            lists[stats.Leaf[row]].Add(row);
        }

        return lists.Select(l => l.ToArray()).ToArray();
    }
}

/// <summary>
/// Popularity within the query's category: the category holding most of the BM25 score mass of the query's 20 best
/// matches (browse requests: the latest history item's category); its items by popularity, then the BM25 ranking,
/// then popularity.
/// </summary>
public sealed class CategoryPopularityBaseline(CatalogStatistics stats) : IRankingSystem
{
    /// <inheritdoc />
    public string Name => "category-popularity";

    /// <inheritdoc />
    public string Description => "the query's category (from its best BM25 matches) by popularity; then BM25; then popularity";

    /// <inheritdoc />
    public IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var byLeaf = Bm25HistoryBaseline.ItemsByLeaf(stats).Select(rows => rows.OrderByDescending(r => stats.Popularity[r]).ThenBy(r => r).ToArray()).ToArray();
        return examples.Select(e =>
        {
            using var matches = stats.Lexical.Match(e.Query);
            var best = matches.Top(20);
            int leaf = best.Count > 0
                ? best.GroupBy(b => stats.Leaf[b.Row]).OrderByDescending(g => g.Sum(b => b.Score)).ThenBy(g => g.Key).First().Key
                : e.History.Length > 0 ? stats.Leaf[e.History[^1]] : -1;
            var ranked = new List<int>(depth);
            var seen = new HashSet<int>();
            if (leaf >= 0)
            {
                foreach (int row in byLeaf[leaf].Take(depth))
                {
                    ranked.Add(row);
                    seen.Add(row);
                }
            }

            foreach (var hit in matches.Top(depth))
            {
                if (ranked.Count >= depth)
                {
                    break;
                }

                if (seen.Add(hit.Row))
                {
                    ranked.Add(hit.Row);
                }
            }

            return stats.FillByPopularity(ranked, depth);
        }).ToList();
    }
}
