using Karma.Core.Package;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;

namespace Karma.Search.Tests.Hybrid;

/// <summary>Every feature of a hand-built four-item catalog, computed by hand.</summary>
public sealed class CandidateFeaturesTests : IDisposable
{
    // Rows: 0 "red sneaker" footwear/sneaker, 1 "blue sandal" footwear/sandal, 2 "red lamp" home/lamp, 3 "green sneaker" footwear/sneaker.
    private static readonly string[] Categories = ["footwear/sneaker", "footwear/sandal", "home/lamp", "footwear/sneaker"];
    private static readonly float[] Embeddings = [1f, 0f, 0f, 1f, 0.6f, 0.8f, 0.8f, 0.6f];
    private static readonly float[] Statistics = [0.2f, 0.4f, 0.3f, 0.0f, 0.6f, 0.1f, 0.4f, 0.2f, 0.5f, 0.1f, 0.5f, 0.2f]; // popularity, price, exposure

    private readonly string _dir = Directory.CreateTempSubdirectory("karma-features-").FullName;
    private readonly VectorTable _table;
    private readonly LexicalIndex _lexical;
    private readonly ItemAttributes _items = new(Categories, Statistics);

    public CandidateFeaturesTests()
    {
        string path = Path.Combine(_dir, "embeddings.bin");
        VectorTableWriter.Write(path, Embeddings, 4, 2, VectorElementType.Float32);
        _table = VectorTable.Open(path);
        _lexical = LexicalIndex.InMemory(
        [
            new LexicalDocument("red sneaker", null, Categories[0], null), new LexicalDocument("blue sandal", null, Categories[1], null),
            new LexicalDocument("red lamp", null, Categories[2], null), new LexicalDocument("green sneaker", null, Categories[3], null),
        ]);
    }

    public void Dispose()
    {
        _table.Dispose();
        _lexical.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private float[] Features(float[] interest, int[] history, string query, int[] rows, out LexicalMatches matches)
    {
        matches = _lexical.Match(query);
        var request = new RequestContext(interest, history, !string.IsNullOrWhiteSpace(query), matches, _table, _items, new LeafCentroids(_table, _items));
        var calculator = new CandidateFeatures(FeatureSet.All, _table, _items);
        var embeddings = new float[rows.Length * 2];
        var features = new float[rows.Length * FeatureSet.All.Count];
        calculator.Compute(request, rows, embeddings, features);
        Assert.Equal(rows.SelectMany(r => Embeddings.Skip(r * 2).Take(2)), embeddings);
        return features;
    }

    private static float Get(float[] features, int candidate, string name)
        => features[(candidate * FeatureSet.All.Count) + FeatureSet.All.Names.ToList().IndexOf(name)];

    [Fact]
    public void EveryFeature_MatchesTheHandComputedValue()
    {
        // History: row 1 then row 3 (most recent); query "red" matches rows 0 and 2.
        float[] f = Features([1f, 0f], [1, 3], "red", [0, 2], out var matches);
        using (matches)
        {
            float s0 = matches.ScoreOf(0), s2 = matches.ScoreOf(2);
            Assert.True(s0 > 0 && s2 > 0);
            Assert.Equal(1f, Get(f, 0, "karma_score"), 6);
            Assert.Equal(0.6f, Get(f, 1, "karma_score"), 6);
            Assert.Equal(s0 / 10, Get(f, 0, "bm25"), 6);
            Assert.Equal(s0 / Math.Max(s0, s2), Get(f, 0, "bm25_relative"), 6);
            Assert.Equal(s0 / (s0 + s2), Get(f, 0, "query_leaf_share"), 5);
            Assert.Equal(s2 / (s0 + s2), Get(f, 1, "query_top_share"), 5);
            Assert.Equal(s0 / (s0 + s2), Get(f, 0, "query_top_share"), 5); // row 3 (footwear) is not among the matches
            Assert.Equal(MathF.Log(2), Get(f, 0, "history_leaf"), 6);       // row 3 shares footwear/sneaker
            Assert.Equal(MathF.Log(3), Get(f, 0, "history_top"), 6);        // rows 1 and 3 are footwear
            Assert.Equal(0f, Get(f, 1, "history_top"));
            Assert.Equal(1f, Get(f, 0, "history_last_leaf"));
            Assert.Equal(1f / 1.8f, Get(f, 0, "history_leaf_recency"), 5); // row 3 (weight 1) of 1 + 0.8
            Assert.Equal(0f, Get(f, 1, "history_leaf_recency"));
            Assert.Equal(0f, Get(f, 1, "history_last_leaf"));
            Assert.Equal(0.8f, Get(f, 0, "history_max_cosine"), 6);        // e0·e3
            Assert.Equal(0.4f / MathF.Sqrt(0.8f), Get(f, 0, "history_mean_cosine"), 5); // e0·normalize(e1 + e3)
            Assert.Equal(0.2f, Get(f, 0, "popularity"));
            // footwear/sneaker holds rows 0 (popularity 0.2) and 3 (0.1): row 0 is its most popular; home/lamp holds row 2 alone.
            Assert.Equal(0f, Get(f, 0, "leaf_popularity_rank"));
            Assert.Equal(0f, Get(f, 1, "leaf_popularity_rank"));
            // Centroids: sneaker normalize(e0 + e3) = (0.9487, 0.3162), sandal (0, 1), lamp (0.6, 0.8); interest (1, 0).
            float[] logits = [0.94868f / 0.1f, 0f, 0.6f / 0.1f];
            float[] probabilities = logits.Select(x => MathF.Exp(x - logits.Max())).ToArray();
            Assert.Equal(probabilities[0] / probabilities.Sum(), Get(f, 0, "karma_leaf_probability"), 4);
            Assert.Equal(probabilities[2] / probabilities.Sum(), Get(f, 1, "karma_leaf_probability"), 4);
            Assert.Equal(0.2f, Get(f, 1, "price"));
            Assert.Equal(0.3f, Get(f, 0, "exposure"));
            Assert.Equal(0.5f, Get(f, 1, "exposure"));
            Assert.Equal(0.15f, Get(f, 0, "price_gap"), 6);                // |0.4 - (0.6 + 0.5) / 2|
            Assert.Equal(1f, Get(f, 0, "has_query"));
            Assert.Equal(MathF.Log(3) / 3, Get(f, 1, "history_length"), 6);
        }
    }

    [Fact]
    public void NoHistoryAndNoQuery_LeaveTheirFeaturesAtZero()
    {
        float[] f = Features([0f, 1f], [], " ", [1], out var matches);
        using (matches)
        {
            foreach (string name in new[] { "bm25", "bm25_relative", "query_leaf_share", "history_leaf", "history_max_cosine", "history_mean_cosine", "price_gap", "has_query", "history_length" })
            {
                Assert.Equal(0f, Get(f, 0, name));
            }

            Assert.Equal(1f, Get(f, 0, "karma_score"), 6);
            Assert.All(f, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void FeatureSet_RefusesUnknownRepeatedAndEmptyLists()
    {
        Assert.Contains("'bogus' is not known", Assert.Throws<InvalidDataException>(() => FeatureSet.Parse(["karma_score", "bogus"])).Message,
            StringComparison.Ordinal);
        Assert.Contains("listed twice", Assert.Throws<InvalidDataException>(() => FeatureSet.Parse(["bm25", "bm25"])).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => FeatureSet.Parse([]));
        var subset = FeatureSet.Parse(["popularity", "karma_score"]);
        Assert.Equal([Feature.Popularity, Feature.KarmaScore], subset.Features);
    }

    [Fact]
    public void Compute_ASubsetOfFeatures_WritesThemInItsOrder()
    {
        using var matches = _lexical.Match("red");
        var set = FeatureSet.Parse(["popularity", "karma_score"]);
        var request = new RequestContext([1f, 0f], [], true, matches, _table, _items, new LeafCentroids(_table, _items));
        var features = new float[4];
        new CandidateFeatures(set, _table, _items).Compute(request, [2, 0], new float[4], features);
        Assert.Equal([0.4f, 0.6f, 0.2f, 1f], features);
        Assert.Throws<ArgumentException>(() => new ItemAttributes(Categories, new float[8])); // statistics of the wrong width
    }

    [Fact]
    public void Compute_WrongBufferSizes_Throw()
    {
        using var matches = LexicalMatches.Empty;
        var centroids = new LeafCentroids(_table, _items);
        var request = new RequestContext([1f, 0f], [], false, matches, _table, _items, centroids);
        var calculator = new CandidateFeatures(FeatureSet.All, _table, _items);
        Assert.Throws<ArgumentException>(() => calculator.Compute(request, [0, 1], new float[3], new float[2 * FeatureSet.All.Count]));
        Assert.Throws<ArgumentException>(() => new RequestContext([1f, 0f, 0f], [], false, matches, _table, _items, centroids));
    }
}

/// <summary>The intent-category channel on the same four-item catalog.</summary>
public sealed class CategoryChannelTests : IDisposable
{
    private static readonly string[] Categories = ["footwear/sneaker", "footwear/sandal", "home/lamp", "footwear/sneaker"];
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-category-").FullName;
    private readonly VectorTable _table;
    private readonly ItemAttributes _items = new(Categories, [0.2f, 0.4f, 0.3f, 0.0f, 0.6f, 0.1f, 0.4f, 0.2f, 0.5f, 0.1f, 0.5f, 0.2f]);

    public CategoryChannelTests()
    {
        string path = Path.Combine(_dir, "e.bin");
        VectorTableWriter.Write(path, [1f, 0f, 0f, 1f, 0.6f, 0.8f, 0.8f, 0.6f], 4, 2, VectorElementType.Float32);
        _table = VectorTable.Open(path);
    }

    public void Dispose()
    {
        _table.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Recall_TakesTheLikeliestLeavesFirst_EachByPopularity()
    {
        using var matches = LexicalMatches.Empty;
        // Interest (1, 0): sneaker (0.95) ≫ lamp (0.6) ≫ sandal (0): sneakers by popularity (row 0, then row 3), then the lamp.
        var request = new RequestContext([1f, 0f], [], false, matches, _table, _items, new LeafCentroids(_table, _items));
        var hits = CategoryChannel.Recall(request, _items, 10);
        // Keys: row 0 p(sneaker), row 3 p(sneaker)/√2, row 2 p(lamp) (p(sneaker) ≈ 0.97, p(lamp) ≈ 0.03).
        Assert.Equal([0, 3, 2], hits.Select(h => h.Row));
        Assert.Equal(request.Intent[_items.Leaf[0]], hits[0].Score, 6);
        Assert.Equal(request.Intent[_items.Leaf[3]] / MathF.Sqrt(2), hits[1].Score, 6);
        Assert.Equal([0], CategoryChannel.Recall(request, _items, 1).Select(h => h.Row));
        Assert.Equal([3, 2], CategoryChannel.Recall(request, _items, 10, accept: r => r != 0).Select(h => h.Row));
        Assert.Empty(CategoryChannel.Recall(request, _items, 0));
        Assert.Equal(1f, request.Intent.Sum(), 4);
    }

    [Fact]
    public void Recall_InterleavesLeavesOfSimilarProbability()
    {
        using var matches = LexicalMatches.Empty;
        // Interest (0.6, 0.8) is the lamp's own direction, near the sneakers' centroid too: the lamp leads, the
        // second-ranked sneaker's key (p(sneaker)/√2) falls below it, so the order interleaves leaves by key.
        var request = new RequestContext([0.6f, 0.8f], [], false, matches, _table, _items, new LeafCentroids(_table, _items));
        var hits = CategoryChannel.Recall(request, _items, 10);
        Assert.Equal(hits.Select(h => h.Score).OrderByDescending(x => x), hits.Select(h => h.Score));
        Assert.Equal(hits.Count, hits.Select(h => h.Row).Distinct().Count());
        Assert.Equal(2, hits[0].Row); // the lamp, probability highest
    }

    [Fact]
    public void Intent_OfABrowseRequest_FollowsTheRecentHistory()
    {
        using var matches = LexicalMatches.Empty;
        // Interest (0, 1) points at the sandal; the history's latest item is the lamp (row 2), before it a sneaker (row 0).
        var request = new RequestContext([0f, 1f], [0, 2], false, matches, _table, _items, new LeafCentroids(_table, _items));
        Assert.Equal(1f / 1.8f, request.HistoryLeaf[_items.Leaf[2]], 5);
        Assert.Equal(0.8f / 1.8f, request.HistoryLeaf[_items.Leaf[0]], 5);
        Assert.Equal(0.5f * (request.KarmaLeaf[_items.Leaf[2]] + (1f / 1.8f)), request.Intent[_items.Leaf[2]], 5);
        Assert.Equal(1f, request.Intent.Sum(), 4);
    }
}
