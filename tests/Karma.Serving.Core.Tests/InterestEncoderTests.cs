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
    public void Prepare_CountsUnknownAndTruncatedHistory_AndQueryCut()
    {
        int max = fx.Package.Manifest.Limits.MaxHistory;
        var ids = Enumerable.Range(0, max + 3).Select(Id).Append("no-such-item").ToList();
        string longQuery = string.Join(' ', Enumerable.Repeat("shoes", 50));
        var (rows, query, stats) = Encoder.Prepare(new UserContextInput(ids, longQuery));
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
