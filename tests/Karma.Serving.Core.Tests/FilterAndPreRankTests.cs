using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;

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
    public void PreRank_ScoresAreFinite_OrderIndependent()
    {
        var encoder = new InterestEncoder(fx.Package);
        var interest = encoder.Encode([new UserContextInput([fx.Package.Catalog.Ids[3]], "desk lamp")], out _)[0];
        var scorer = new PreRankScorer(fx.Package);
        int[] rows = [10, 20, 30, 40];
        var scores = scorer.Score(interest, rows);
        Assert.Equal(4, scores.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        var reversed = scorer.Score(interest, rows.Reverse().ToArray());
        Assert.Equal(scores.Reverse(), reversed, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Empty(scorer.Score(interest, []));
        Assert.Throws<ArgumentException>(() => scorer.Score(new float[3], rows));
    }
}
