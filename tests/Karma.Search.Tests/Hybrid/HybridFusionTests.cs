using Karma.Search.Hybrid;

namespace Karma.Search.Tests.Hybrid;

public sealed class HybridFusionTests
{
    private static List<ChannelHit> Hits(params int[] rows) => rows.Select((r, i) => new ChannelHit(r, 1f - (i * 0.1f))).ToList();

    [Fact]
    public void Fuse_MergesDuplicates_AttributesChannels_AndOrdersByReciprocalRank()
    {
        // RRF: 3 = 1/62 + 1/61 (karma rank 2, lexical rank 1), 5 = 1/61, 7 = 1/62, 9 = 1/63.
        var set = HybridFusion.Fuse(Hits(5, 3, 9), Hits(3, 7));
        Assert.Equal([3, 5, 7, 9], set.Rows);
        Assert.Equal([RecallChannels.Karma | RecallChannels.Lexical, RecallChannels.Karma, RecallChannels.Lexical, RecallChannels.Karma], set.Channels);
        Assert.Equal((1f / 62) + (1f / 61), set.FusedScores[0], 6);
        Assert.Equal(1f / 63, set.FusedScores[3], 6);
        Assert.Equal(1, set.IndexOf(5));
        Assert.Equal(-1, set.IndexOf(4));
    }

    [Fact]
    public void Fuse_EqualFusedScores_KeepTheLowerRowFirst()
        => Assert.Equal([0, 1], HybridFusion.Fuse(Hits(1), Hits(0)).Rows);

    [Fact]
    public void Fuse_ARowRepeatedInOneChannel_CountsOnce()
    {
        var set = HybridFusion.Fuse(Hits(4, 4), []);
        Assert.Equal([4], set.Rows);
        Assert.Equal(1f / 61, set.FusedScores[0], 6);
    }

    [Fact]
    public void Fuse_ThreeChannels_AttributesEachOne()
    {
        var set = HybridFusion.Fuse(Hits(1), Hits(2), Hits(1, 2, 3));
        Assert.Equal([1, 2, 3], set.Rows);
        Assert.Equal([RecallChannels.Karma | RecallChannels.Category, RecallChannels.Lexical | RecallChannels.Category, RecallChannels.Category], set.Channels);
    }

    [Fact]
    public void Fuse_NothingRecalled_IsEmpty()
    {
        Assert.Equal(0, HybridFusion.Fuse([], []).Count);
        Assert.Equal([2, 8], HybridFusion.Fuse([], Hits(2, 8)).Rows);
    }

    [Theory]
    [InlineData(0.5, 0.5, 1000, 500, 500)]
    [InlineData(0.6, 0.4, 10, 6, 4)]
    [InlineData(0.33, 0.0, 10, 4, 0)]
    [InlineData(0.001, 1.0, 10, 1, 10)]
    public void Quotas_ShareTheBudget(double karma, double lexical, int k, int expectedKarma, int expectedLexical)
    {
        var q = new ChannelQuotas(karma, lexical);
        q.Validate();
        Assert.Equal(expectedKarma, q.KarmaCount(k));
        Assert.Equal(expectedLexical, q.LexicalCount(k));
    }

    [Theory]
    [InlineData(-0.1, 0.5, 0, "Karma")]
    [InlineData(0.5, 1.5, 0, "Lexical")]
    [InlineData(0.5, 0.5, 2, "Category")]
    [InlineData(double.NaN, 0.5, 0, "Karma")]
    [InlineData(0, 0, 0, "Karma")]
    public void Quotas_OutOfRange_AreRefusedNamingTheShare(double karma, double lexical, double category, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelQuotas(karma, lexical, category).Validate());
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void ChannelNames_FollowTheFlags()
    {
        Assert.Equal(["karma", "lexical"], RecallChannelNames.Of(RecallChannels.Karma | RecallChannels.Lexical));
        Assert.Equal(["category"], RecallChannelNames.Of(RecallChannels.Category));
        Assert.Empty(RecallChannelNames.Of(RecallChannels.None));
    }
}
