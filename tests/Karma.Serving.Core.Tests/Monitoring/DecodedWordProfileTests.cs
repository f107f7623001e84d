using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Monitoring;

namespace Karma.Serving.Core.Tests.Monitoring;

public sealed class DecodedWordProfileTests
{
    private static DecodedInterest Decoded(params (string Word, float P)[] words)
        => new(string.Join(' ', words.Select(w => w.Word)), words.Select(w => new DecodedWord(w.Word, w.P)).ToList());

    [Fact]
    public void AnInterestsWords_AreWeightedByProbability_AndTheMeanSumsToOne()
    {
        var profile = new DecodedWordProfile();
        profile.Add(Decoded(("lamp", 0.6f), ("red", 0.2f)));
        profile.Add(Decoded(("mug", 1.0f)));
        var d = profile.Distribution();
        Assert.Equal(2, profile.Count);
        Assert.Equal(0.375, d["lamp"], 6); // (0.75 + 0) / 2
        Assert.Equal(0.125, d["red"], 6);
        Assert.Equal(0.5, d["mug"], 6);
        Assert.Equal(1.0, d.Values.Sum(), 6);
    }

    [Fact]
    public void WithAHalfLife_OldInterestsFade()
    {
        var profile = new DecodedWordProfile(alpha: 1 - Math.Pow(0.5, 1.0 / 10));
        for (int i = 0; i < 100; i++)
        {
            profile.Add(Decoded(("lamp", 1f)));
        }

        for (int i = 0; i < 30; i++)
        {
            profile.Add(Decoded(("chair", 1f)));
        }

        // Thirty interests are three half-lives: the old word keeps 1/8 of the mass.
        Assert.Equal(0.125, profile.Distribution()["lamp"], 3);
    }

    [Fact]
    public void Divergence_IsZeroForTheSameWords_AndCountsUnknownWordsAsOther()
    {
        var reference = new Dictionary<string, double> { ["lamp"] = 0.5, ["mug"] = 0.5 };
        Assert.Equal(0, DecodedWordProfile.Divergence(reference, reference), 9);
        var unknown = new Dictionary<string, double> { ["sofa"] = 1.0 };
        Assert.Equal(1, DecodedWordProfile.Divergence(unknown, reference), 6); // all its mass is "(other)", which the reference lacks
        var half = new Dictionary<string, double> { ["lamp"] = 1.0 };
        double d = DecodedWordProfile.Divergence(half, reference);
        Assert.InRange(d, 0.2, 0.4); // JS([1, 0], [0.5, 0.5]) = 0.311
    }

    [Fact]
    public void ManyWords_AreFoldedIntoOther_KeepingTheMass()
    {
        var profile = new DecodedWordProfile();
        for (int i = 0; i < 2 * DecodedWordProfile.MaxWords + 10; i++)
        {
            profile.Add(Decoded(($"w{i}", 1f)));
        }

        var d = profile.Distribution();
        Assert.Equal(DecodedWordProfile.MaxWords + 1, d.Count);
        Assert.True(d[DecodedWordProfile.Other] > 0.4);
        Assert.Equal(1.0, d.Values.Sum(), 6);
    }
}
