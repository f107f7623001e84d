using Karma.Search.Hybrid;

namespace Karma.Search.Tests.Hybrid;

/// <summary>Rows appended to item attributes (items added while serving) equal attributes built over all rows at once.</summary>
public sealed class ItemAttributesAppendTests
{
    private static readonly string[] Leaves = ["a/x", "a/y", "b/z", "c"];

    private static (List<string> Categories, float[] Statistics) Rows(int n, int seed, bool cold)
    {
        var random = new Random(seed);
        var categories = new List<string>();
        var statistics = new float[n * ItemStatistics.Count];
        for (int i = 0; i < n; i++)
        {
            categories.Add(Leaves[random.Next(Leaves.Length)]);
            // Popularity ties on purpose (a few levels), and zero for cold rows, as items added while serving are.
            statistics[i * ItemStatistics.Count] = cold ? 0f : random.Next(4) / 2f;
            statistics[(i * ItemStatistics.Count) + 1] = (float)random.NextDouble();
            statistics[(i * ItemStatistics.Count) + 2] = cold ? 0f : (float)random.NextDouble();
        }

        return (categories, statistics);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Appended_EqualsBuiltAtOnce(bool cold)
    {
        var (baseCategories, baseStatistics) = Rows(300, 1, cold: false);
        var (added1, stats1) = Rows(40, 2, cold);
        var (added2, stats2) = Rows(25, 3, cold);
        var appended = new ItemAttributes(baseCategories, baseStatistics).With(added1, stats1).With(added2, stats2);
        var whole = new ItemAttributes([.. baseCategories, .. added1, .. added2], [.. baseStatistics, .. stats1, .. stats2]);
        Assert.Equal(whole.Count, appended.Count);
        Assert.Equal(whole.Leaf, appended.Leaf);
        Assert.Equal(whole.Top, appended.Top);
        Assert.Equal(whole.Popularity, appended.Popularity);
        Assert.Equal(whole.Price, appended.Price);
        Assert.Equal(whole.Exposure, appended.Exposure);
        Assert.Equal(whole.LeafPopularityRank, appended.LeafPopularityRank);
        Assert.Equal(whole.ByLeafPopularity.Length, appended.ByLeafPopularity.Length);
        for (int l = 0; l < whole.ByLeafPopularity.Length; l++)
        {
            Assert.Equal(whole.ByLeafPopularity[l], appended.ByLeafPopularity[l]);
        }
    }

    [Fact]
    public void AnUnknownLeaf_IsRefusedByName()
    {
        var (categories, statistics) = Rows(10, 1, cold: false);
        var attributes = new ItemAttributes(categories, statistics);
        var e = Assert.Throws<ArgumentException>(() => attributes.With(["a/new"], new float[ItemStatistics.Count]));
        Assert.Contains("'a/new'", e.Message, StringComparison.Ordinal);
        Assert.True(attributes.HasLeaf("a/x"));
        Assert.False(attributes.HasLeaf("a"));
    }
}
