using Karma.Serving.Core.Inference;

namespace Karma.Serving.Core.Tests;

public sealed class InterestEncoderTests(DefaultPackage fx) : IClassFixture<DefaultPackage>
{
    private InterestEncoder Encoder => new(fx.Package);

    private string Id(int row) => fx.Package.Catalog.Ids[row];

    [Fact]
    public void Encode_GivesUnitVectors()
    {
        var v = Encoder.Encode([new UserContextInput([Id(0), Id(5)], "red running shoes")], out var stats)[0];
        Assert.Equal(fx.Package.Manifest.Dimensions.EmbedDim, v.Length);
        Assert.All(v, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 4);
        Assert.Equal(0, stats[0].UnknownHistoryItems);
        Assert.True(stats[0].QueryTokens > 0);
    }

    [Fact]
    public void Encode_BatchEqualsOneByOne_PaddingChangesNothing()
    {
        UserContextInput[] contexts =
        [
            new([Id(1)], null),
            new([Id(2), Id(3), Id(4), Id(5), Id(6)], "lamp for the desk"),
            new([], "blue mug"),
        ];
        var batch = Encoder.Encode(contexts, out _);
        for (int i = 0; i < contexts.Length; i++)
        {
            var single = Encoder.Encode([contexts[i]], out _)[0];
            Assert.Equal(single.Length, batch[i].Length);
            for (int j = 0; j < single.Length; j++)
            {
                Assert.Equal(single[j], batch[i][j], 5);
            }
        }
    }

    [Fact]
    public void Encode_LargeMixedBatch_SplitByLength_KeepsEveryRowInPlace()
    {
        // 40 contexts of 1..20 history items: long enough to be run as several length groups.
        var contexts = Enumerable.Range(0, 40)
            .Select(i => new UserContextInput(Enumerable.Range(0, 1 + (i * 7 % 20)).Select(h => Id((i * 31 + h) % 500)).ToArray(), i % 3 == 0 ? null : "red shoes"))
            .ToArray();
        Assert.True(InterestEncoder.LengthGroups(contexts.Select(c => c.HistoryItemIds.Count + 4).ToArray()).Count > 1);
        var batch = Encoder.Encode(contexts, out _);
        for (int i = 0; i < contexts.Length; i++)
        {
            var single = Encoder.Encode([contexts[i]], out _)[0];
            for (int j = 0; j < single.Length; j++)
            {
                Assert.Equal(single[j], batch[i][j], 5);
            }
        }
    }

    [Theory]
    [InlineData(new[] { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 }, 1)]    // equal lengths: one run
    [InlineData(new[] { 3, 30, 3, 30, 3, 30, 3, 30, 3, 30, 3, 30, 3, 30, 3, 30 }, 2)] // two clusters: two runs
    [InlineData(new[] { 4, 28, 9 }, 1)]                               // fewer rows than a minimum run
    [InlineData(new int[0], 0)]
    public void LengthGroups_CoverEveryRowOnce_ShortestFirst(int[] lengths, int expectedGroups)
    {
        var groups = InterestEncoder.LengthGroups(lengths);
        Assert.Equal(expectedGroups, groups.Count);
        Assert.Equal(Enumerable.Range(0, lengths.Length), groups.SelectMany(g => g).Order());
        var maxima = groups.Select(g => g.Max(i => lengths[i])).ToArray();
        Assert.Equal(maxima.Order(), maxima);
        Assert.All(groups.SkipLast(1), g => Assert.True(g.Length >= 8));
    }

    [Fact]
    public void Prepare_CountsUnknownAndTruncatedHistory_AndQueryCut()
    {
        int max = fx.Package.Manifest.Limits.MaxHistory;
        var ids = Enumerable.Range(0, max + 3).Select(Id).Append("no-such-item").ToList();
        string longQuery = string.Join(' ', Enumerable.Repeat("shoes", 50));
        var ((rows, query, textTokens), stats) = Encoder.Prepare(new UserContextInput(ids, longQuery));
        Assert.Null(textTokens); // the fixture's model has no pretrained text encoder
        Assert.Equal(1, stats.UnknownHistoryItems);
        Assert.Equal(3, stats.TruncatedHistoryItems);
        Assert.Equal(max, rows.Length);
        Assert.Equal(3, rows[0]); // the most recent items are kept
        Assert.True(stats.QueryTruncated);
        Assert.Equal(fx.Package.Manifest.Limits.MaxQueryTokens, query.Length);
    }

    [Theory]
    [InlineData(new string[0], "", "both empty")]
    [InlineData(new[] { "ghost-1", "ghost-2" }, "  ", "none of the 2 history item ids")]
    public void Prepare_EmptyContext_IsRejected(string[] ids, string query, string expected)
    {
        var error = Assert.Throws<InvalidContextException>(() => Encoder.Prepare(new UserContextInput(ids, query)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
