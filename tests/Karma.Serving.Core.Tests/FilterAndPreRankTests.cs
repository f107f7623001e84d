using Karma.Search.Hybrid;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Search;

namespace Karma.Serving.Core.Tests;

public sealed class FilterAndPreRankTests(DefaultPackage fx) : IClassFixture<DefaultPackage>
{
    [Theory]
    [InlineData("apparel/shoes/running", "apparel", true)]
    [InlineData("apparel/shoes/running", "apparel/", true)]
    [InlineData("apparel/shoes/running", "apparel/shoes/running", true)]
    [InlineData("apparel-outlet/x", "apparel", false)]
    [InlineData("apparel/shoes", "apparel/shoes/running", false)]
    [InlineData("apparel/shoes", "", false)]
    public void Matches_IsAPathPrefixAtSlashBoundaries(string path, string prefix, bool expected)
        => Assert.Equal(expected, CatalogRowFilter.Matches(path, prefix));

    [Fact]
    public void Filter_IncludesExcludesAndDropsItems()
    {
        var catalog = fx.Package.Catalog;
        var categories = new CatalogCategories(catalog);
        string top = catalog.Categories[0].Split('/')[0];
        string excludedLeaf = catalog.Categories.First(c => c.StartsWith(top + "/", StringComparison.Ordinal) && c != catalog.Categories[0]);
        var filter = CatalogRowFilter.Create(categories, [top], [excludedLeaf], [catalog.Ids[0], "not-an-item"], catalog)!;
        Assert.Equal(1, filter.UnknownExcludedIds);
        for (int r = 0; r < catalog.Count; r++)
        {
            string c = catalog.Categories[r];
            bool expected = CatalogRowFilter.Matches(c, top) && c != excludedLeaf && r != 0;
            Assert.Equal(expected, filter.Accepts(r));
        }

        Assert.Null(CatalogRowFilter.Create(categories, [], [], [], catalog));
    }

    [Fact]
    public void Filter_AgreesWithThePrefixRule_OnRandomPrefixLists()
    {
        var catalog = fx.Package.Catalog;
        var categories = new CatalogCategories(catalog);
        // Candidate prefixes: every '/'-boundary prefix of the catalog's paths, with and without a trailing '/', and near misses.
        var candidates = categories.Paths
            .SelectMany(p => Enumerable.Range(1, p.Split('/').Length).Select(n => string.Join('/', p.Split('/').Take(n))))
            .SelectMany(p => new[] { p, p + "/", p[..^1], p + "x", "" })
            .Distinct(StringComparer.Ordinal).ToArray();
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            string[] include = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => candidates[rng.Next(candidates.Length)]).ToArray();
            string[] exclude = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => candidates[rng.Next(candidates.Length)]).ToArray();
            var filter = CatalogRowFilter.Create(categories, include, exclude, [], catalog);
            for (int r = 0; r < catalog.Count; r += 7)
            {
                string c = catalog.Categories[r];
                bool expected = (include.Length == 0 || include.Any(p => CatalogRowFilter.Matches(c, p))) && !exclude.Any(p => CatalogRowFilter.Matches(c, p));
                Assert.True(expected == (filter?.Accepts(r) ?? true), $"row {r} ({c}), include [{string.Join(", ", include)}], exclude [{string.Join(", ", exclude)}]");
            }
        }
    }

    private SearchPipeline Pipeline(ExactIndex index) => new(fx.Package, index, new ChannelQuotas(0.5, 0.3, 0.2));

    [Fact]
    public void PreRank_ScoresAreFinite_OrderIndependent()
    {
        var encoder = new InterestEncoder(fx.Package);
        var history = encoder.Prepare(new UserContextInput([fx.Package.Catalog.Ids[3]], "desk lamp")).Context.Rows;
        var interest = encoder.Encode([new UserContextInput([fx.Package.Catalog.Ids[3]], "desk lamp")], out _)[0];
        using var index = new ExactIndex(fx.Package.Embeddings);
        var pipeline = Pipeline(index);
        using var matches = pipeline.Match("desk lamp");
        var request = pipeline.Context(interest, history, "desk lamp", matches);
        int[] rows = [10, 20, 30, 40];
        var scores = pipeline.Score(request, rows);
        Assert.Equal(4, scores.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        var reversed = pipeline.Score(request, rows.Reverse().ToArray());
        Assert.Equal(scores.Reverse(), reversed, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Empty(pipeline.Score(request, []));
        Assert.Throws<ArgumentException>(() => pipeline.Context(new float[3], history, "desk lamp", matches));
    }

    [Fact]
    public void Search_RecallsBothChannels_AndRanksByThePreRanker()
    {
        var encoder = new InterestEncoder(fx.Package);
        var context = new UserContextInput([fx.Package.Catalog.Ids[3]], "lamp");
        var history = encoder.Prepare(context).Context.Rows;
        var interest = encoder.Encode([context], out _)[0];
        using var index = new ExactIndex(fx.Package.Embeddings);
        var pipeline = Pipeline(index);
        using var matches = pipeline.Match("lamp");
        var request = pipeline.Context(interest, history, "lamp", matches);
        var candidates = pipeline.Recall(request, 100);
        Assert.Equal(candidates.Rows.Length, candidates.Rows.Distinct().Count());
        Assert.Equal(50, candidates.Channels.Count(c => c.HasFlag(RecallChannels.Karma)));
        Assert.Equal(Math.Min(30, matches.Count), candidates.Channels.Count(c => c.HasFlag(RecallChannels.Lexical)));
        Assert.Equal(20, candidates.Channels.Count(c => c.HasFlag(RecallChannels.Category)));
        var ranked = pipeline.Rank(request, candidates, 10);
        Assert.Equal(10, ranked.Count);
        Assert.True(ranked.Zip(ranked.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        float[] direct = pipeline.Score(request, ranked.Select(r => r.Row).ToArray());
        Assert.Equal(ranked.Select(r => r.Score), direct, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.All(ranked, r => Assert.Equal(candidates.Channels[candidates.IndexOf(r.Row)], r.Channels));
    }

    [Fact]
    public void Recall_FilterAppliesInsideBothChannels()
    {
        var catalog = fx.Package.Catalog;
        string top = catalog.Categories[0].Split('/')[0];
        var filter = CatalogRowFilter.Create(new CatalogCategories(catalog), [top], [], [], catalog)!;
        var interest = new InterestEncoder(fx.Package).Encode([new UserContextInput([], "red")], out _)[0];
        using var index = new ExactIndex(fx.Package.Embeddings);
        var pipeline = Pipeline(index);
        using var matches = pipeline.Match("red");
        var candidates = pipeline.Recall(pipeline.Context(interest, [], "red", matches), 200, filter);
        Assert.NotEqual(0, candidates.Count);
        Assert.All(candidates.Rows, r => Assert.True(filter.Accepts(r), catalog.Categories[r]));
    }
}
