using System.Numerics.Tensors;
using Karma.Core.Data;
using Karma.Training.Pretrained;

namespace Karma.Evaluation.Systems;

/// <summary>
/// Dense retrieval with the frozen pretrained sentence encoder (all-MiniLM-L6-v2), no training and no behaviour: the
/// query's embedding (a browse request: the mean of its history items' embeddings) against each item's
/// "title. category path" embedding, by cosine; then popularity. What the pretrained model knows about the catalog by
/// itself, the knowledge a pretrained KARMA backbone is meant to keep.
/// </summary>
public sealed class PretrainedTextBaseline : IRankingSystem
{
    private readonly CatalogStatistics _stats;
    private readonly TextEmbedder _embedder;
    private readonly float[][] _items;

    /// <summary>Embeds every item's text (about 20 s per 10,000 items on 2 cores).</summary>
    public PretrainedTextBaseline(CatalogStatistics stats, IReadOnlyList<Item> items, TextEmbedder embedder, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        _stats = stats ?? throw new ArgumentNullException(nameof(stats));
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        _items = embedder.Embed(items.Select(ItemInputs.SentenceText).ToList(), progress);
    }

    /// <inheritdoc />
    public string Name => "pretrained-text";

    /// <inheritdoc />
    public string Description => "frozen all-MiniLM-L6-v2: the query (browse: the history's mean) against each item's title and category by cosine; then popularity";

    /// <inheritdoc />
    public IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var queries = examples.Where(e => !string.IsNullOrWhiteSpace(e.Query)).Select(e => e.Query!).Distinct(StringComparer.Ordinal).ToList();
        var queryEmbeddings = _embedder.Embed(queries, progress);
        var byQuery = queries.Select((q, i) => (q, i)).ToDictionary(p => p.q, p => queryEmbeddings[p.i], StringComparer.Ordinal);
        var scores = new float[_items.Length];
        return examples.Select(e =>
        {
            float[]? u = !string.IsNullOrWhiteSpace(e.Query) ? byQuery[e.Query!] : HistoryMean(e.History);
            if (u is null)
            {
                return _stats.FillByPopularity([], depth);
            }

            for (int i = 0; i < _items.Length; i++)
            {
                scores[i] = TensorPrimitives.Dot(u, _items[i]);
            }

            var ranked = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(depth).ToList();
            return _stats.FillByPopularity(ranked, depth);
        }).ToList();
    }

    private float[]? HistoryMean(int[] history)
    {
        if (history.Length == 0)
        {
            return null;
        }

        var mean = new float[_embedder.Dimensions];
        foreach (int row in history)
        {
            TensorPrimitives.Add(mean, _items[row], mean);
        }

        float norm = TensorPrimitives.Norm(mean);
        TensorPrimitives.Divide(mean, Math.Max(norm, 1e-12f), mean);
        return mean;
    }
}
