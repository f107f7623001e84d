using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>Where the pre-ranker's training candidates come from: the Search path's own recall.</summary>
/// <param name="Embeddings">The item-embedding table the package serves.</param>
/// <param name="Table">The same table as a [N, D] tensor (<see cref="PreRankTrainer.TableTensor"/>), for the exact top-k.</param>
/// <param name="Items">Item attributes (categories, popularity, price).</param>
/// <param name="Lexical">The BM25 index the package serves.</param>
/// <param name="Centroids">The leaf categories' embedding centroids (the intent the category channel draws from).</param>
/// <param name="Features">The features to compute.</param>
/// <param name="Quotas">Channel shares of the recall budget.</param>
/// <param name="RecallK">Recall budget per request.</param>
public sealed record CandidateSource(VectorTable Embeddings, Tensor Table, ItemAttributes Items, LexicalIndex Lexical, LeafCentroids Centroids,
    FeatureSet Features, ChannelQuotas Quotas, int RecallK);

/// <summary>
/// Pre-ranker training data: for each example, the fused candidate set the Search path recalls for it (the KARMA
/// channel's nearest neighbours of h_t, the BM25 channel's matches and the intent-category channel), the target first, and every candidate's
/// features as the service computes them (Karma.Search's <see cref="CandidateFeatures"/>). Training examples keep the
/// target and a uniform sample of the other candidates (a sampled softmax over the set); held-out examples keep the
/// whole set so model selection ranks exactly what Search ranks. Examples whose target was not recalled teach the
/// pre-ranker nothing and are counted, not kept.
/// </summary>
public sealed class PreRankExamples
{
    private PreRankExamples(int dim, int features, int width, List<Row> rows, int total, int recalled)
    {
        Dimensions = dim;
        FeatureCount = features;
        Width = width;
        Rows = rows;
        Total = total;
        Recalled = recalled;
    }

    /// <summary>One kept example.</summary>
    /// <param name="Interest">h_t [D].</param>
    /// <param name="Candidates">Item rows, target first.</param>
    /// <param name="Features">[candidates, F] features, target first.</param>
    public sealed record Row(float[] Interest, int[] Candidates, float[] Features);

    /// <summary>Embedding width D.</summary>
    public int Dimensions { get; }

    /// <summary>Features per candidate F.</summary>
    public int FeatureCount { get; }

    /// <summary>Candidates kept per training example (target plus sampled others), or 0 for full sets.</summary>
    public int Width { get; }

    /// <summary>Kept examples.</summary>
    public IReadOnlyList<Row> Rows { get; }

    /// <summary>Examples offered.</summary>
    public int Total { get; }

    /// <summary>Examples whose target was among the recalled candidates (= kept).</summary>
    public int Recalled { get; }

    /// <summary>Share of examples whose target the fused recall found.</summary>
    public double CandidateRecall => Total == 0 ? double.NaN : Recalled / (double)Total;

    /// <summary>Data from rows built elsewhere (tests).</summary>
    internal static PreRankExamples FromRows(int dim, int features, int width, List<Row> rows)
        => new(dim, features, width, rows, rows.Count, rows.Count);

    /// <summary>Builds the data.</summary>
    /// <param name="source">Tables and indexes.</param>
    /// <param name="examples">Examples with their history and query.</param>
    /// <param name="interest">h_t of each example, row-major [examples, D].</param>
    /// <param name="negatives">Other candidates sampled per example; 0 keeps the whole candidate set.</param>
    /// <param name="seed">Seed of the sampling.</param>
    public static PreRankExamples Build(CandidateSource source, IReadOnlyList<InteractionExample> examples, float[] interest,
        int negatives, int seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(interest);
        int d = source.Embeddings.Cols, f = source.Features.Count;
        if (interest.Length != examples.Count * d)
        {
            throw new ArgumentException($"{examples.Count} examples need {examples.Count * d} interest values, got {interest.Length}", nameof(interest));
        }

        var calculator = new CandidateFeatures(source.Features, source.Embeddings, source.Items);
        var karma = KarmaChannel(source, interest, examples.Count);
        var random = new Random(seed);
        var kept = new List<Row>(examples.Count);
        int recalled = 0;
        int lexicalK = source.Quotas.LexicalCount(source.RecallK);
        int categoryK = source.Quotas.CategoryCount(source.RecallK);
        for (int e = 0; e < examples.Count; e++)
        {
            var ex = examples[e];
            string query = ex.Query ?? string.Empty;
            using var matches = source.Lexical.Match(query);
            float[] user = interest.AsSpan(e * d, d).ToArray();
            var request = new RequestContext(user, ex.History, !string.IsNullOrWhiteSpace(query), matches, source.Embeddings, source.Items,
                source.Centroids);
            var lexical = lexicalK > 0 ? matches.Top(lexicalK).Select(h => new ChannelHit(h.Row, h.Score)).ToList() : [];
            var set = HybridFusion.Fuse(karma[e], lexical, CategoryChannel.Recall(request, source.Items, categoryK));
            int at = set.IndexOf(ex.Target);
            if (at < 0)
            {
                continue;
            }

            recalled++;
            var others = set.Rows.Where(r => r != ex.Target).ToArray();
            if (negatives > 0 && others.Length > negatives)
            {
                random.Shuffle(others);
                others = others[..negatives];
            }

            int[] rows = [ex.Target, .. others];
            var features = new float[rows.Length * f];
            calculator.Compute(request, rows, new float[rows.Length * d], features);
            kept.Add(new Row(user, rows, features));
        }

        return new PreRankExamples(d, f, negatives > 0 ? negatives + 1 : 0, kept, examples.Count, recalled);
    }

    /// <summary>Exact top-k of h_t over the table per example (the reference recall the service's indexes approximate).</summary>
    private static List<ChannelHit>[] KarmaChannel(CandidateSource source, float[] interest, int count)
    {
        var result = new List<ChannelHit>[count];
        int k = Math.Min(source.Quotas.KarmaCount(source.RecallK), source.Embeddings.Rows);
        int d = source.Embeddings.Cols;
        if (k == 0)
        {
            for (int e = 0; e < count; e++)
            {
                result[e] = [];
            }

            return result;
        }

        using var noGrad = no_grad();
        var items = source.Table;
        const int chunk = 256;
        for (int start = 0; start < count; start += chunk)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(chunk, count - start);
            var users = tensor(interest.AsSpan(start * d, n * d).ToArray(), [n, d]);
            var (values, indices) = users.matmul(items.t()).topk(k, dim: 1, largest: true, sorted: true);
            float[] v = values.data<float>().ToArray();
            long[] ix = indices.data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                var hits = new List<ChannelHit>(k);
                for (int j = 0; j < k; j++)
                {
                    hits.Add(new ChannelHit((int)ix[(i * k) + j], v[(i * k) + j]));
                }

                result[start + i] = hits;
            }
        }

        return result;
    }
}
