using Karma.Core.Data;
using Karma.Core.Data.Synthetic;

namespace Karma.Core.Tests.Data;

/// <summary>The realistic presets' settings, determinism, domain mix and images.</summary>
public sealed class RealisticPresetTests
{
    private static readonly string[] Realistic = ["realistic", "realistic-b", "realistic-tiny"];

    public static TheoryData<string, Func<Realism, Realism>> BadSettings => new()
    {
        { nameof(Realism.TasteWeight), r => r with { TasteWeight = -0.1 } },
        { nameof(Realism.TasteWeight), r => r with { TasteWeight = double.NaN } },
        { nameof(Realism.BrandLoyalty), r => r with { BrandLoyalty = 1.5 } },
        { nameof(Realism.MaxInterests), r => r with { MaxInterests = 0 } },
        { nameof(Realism.MaxInterests), r => r with { MaxInterests = Realism.InterestSlots + 1 } },
        { nameof(Realism.InterestDrift), r => r with { InterestDrift = -0.01 } },
        { nameof(Realism.OutOfInterestShare), r => r with { OutOfInterestShare = 0.95 } },
        { nameof(Realism.QueryModifierShare), r => r with { QueryModifierShare = 2 } },
        { nameof(Realism.Reformulation), r => r with { Reformulation = -1 } },
        { nameof(Realism.PositionBias), r => r with { PositionBias = -0.5 } },
        { nameof(Realism.RankerNoise), r => r with { RankerNoise = double.PositiveInfinity } },
        { nameof(Realism.LateArrivalShare), r => r with { LateArrivalShare = 1 } },
        { nameof(Realism.EvalDays), r => r with { EvalDays = -1 } },
        { nameof(Realism.EvalDays), r => r with { EvalDays = 60 } },
        { nameof(Realism.ImageSignal), r => r with { ImageSignal = -1 } },
        { nameof(Realism.ImageNuisance), r => r with { ImageNuisance = -1 } },
        { nameof(Realism.ImageNoise), r => r with { ImageNoise = -1 } },
        { nameof(Realism.LeafPopularitySpread), r => r with { LeafPopularitySpread = 4 } },
        { nameof(Realism.TopCategoryWeights), r => r with { TopCategoryWeights = new Dictionary<string, double> { ["toys"] = 1 } } },
        { nameof(Realism.TopCategoryWeights), r => r with { TopCategoryWeights = new Dictionary<string, double> { ["home"] = 0 } } },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_SettingOutOfRange_ThrowsNamingIt(string name, Func<Realism, Realism> change)
    {
        var preset = SyntheticPreset.Get("realistic-tiny");
        var bad = preset with { Realism = change(preset.Realism!) };
        var e = Assert.Throws<ArgumentOutOfRangeException>(bad.Validate);
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Presets_RealisticOnesHaveTheMechanisms_OriginalOnesDoNot()
    {
        foreach (string name in SyntheticPreset.Names)
        {
            var preset = SyntheticPreset.Get(name);
            preset.Validate();
            Assert.Equal(Realistic.Contains(name), preset.Realism is not null);
        }

        var main = SyntheticPreset.Get("realistic");
        var b = SyntheticPreset.Get("realistic-b");
        var tiny = SyntheticPreset.Get("realistic-tiny");
        Assert.Equal((10_000, 5_000), (main.Items, main.Users));
        Assert.Equal((8_000, 4_000), (b.Items, b.Users));
        Assert.InRange(tiny.Items, 400, 600);
        Assert.Equal(200, tiny.Users);
        Assert.Equal(0.3, main.Realism!.OutOfInterestShare);
        Assert.True(b.Realism!.OutOfInterestShare > main.Realism.OutOfInterestShare);
        // A default Realism is "every mechanism off".
        var off = new Realism();
        Assert.Equal((0.0, 0.0, 0.0, 0.0, 0), (off.InterestDrift, off.OutOfInterestShare, off.Reformulation, off.PositionBias, off.EvalDays));
    }

    [Fact]
    public void RealisticB_HasAnotherDomainMix()
    {
        static double Share(Catalog c, params string[] tops) =>
            Enumerable.Range(0, c.Count).Count(i => tops.Contains(c.TopOf(i).Name)) / (double)c.Count;

        var main = SyntheticLogGenerator.BuildCatalog(SyntheticPreset.Get("realistic"), 42);
        var b = SyntheticLogGenerator.BuildCatalog(SyntheticPreset.Get("realistic-b"), 42);
        double mainUp = Share(main, "electronics", "home", "kitchen"), bUp = Share(b, "electronics", "home", "kitchen");
        double mainDown = Share(main, "apparel", "beauty"), bDown = Share(b, "apparel", "beauty");
        Assert.True(bUp > mainUp + 0.1, $"electronics/home/kitchen {bUp:F2} vs {mainUp:F2}");
        Assert.True(bDown < mainDown - 0.1, $"apparel/beauty {bDown:F2} vs {mainDown:F2}");
    }

    [Fact]
    public void RealisticImages_ShowTheLeaf_ButNotTheStyle()
    {
        // Style is in the original images and not in the realistic ones: compare both on pairs of items of
        // different leaves and colors, same style vs different style.
        double StyleGap(string preset)
        {
            using var scratch = new TempDirectory("karma-img-");
            string dir = scratch.Path;
            SyntheticLogGenerator.Generate(SyntheticPreset.Get(preset), 3, dir);
            var catalog = SyntheticLogGenerator.BuildCatalog(SyntheticPreset.Get(preset), 3);
            var items = SearchLog.Load(dir).Items;
            double sameStyle = 0, otherStyle = 0, sameLeaf = 0, otherLeaf = 0;
            int nSame = 0, nOther = 0, nSameLeaf = 0, nOtherLeaf = 0;
            for (int a = 0; a < items.Count; a++)
            {
                for (int b = a + 1; b < items.Count; b++)
                {
                    double cos = Cosine(items[a].ImageEmbedding!, items[b].ImageEmbedding!);
                    if (catalog.Leaf[a] == catalog.Leaf[b])
                    {
                        sameLeaf += cos;
                        nSameLeaf++;
                        continue;
                    }

                    otherLeaf += cos;
                    nOtherLeaf++;
                    if (catalog.Color[a] == catalog.Color[b])
                    {
                        continue;
                    }

                    if (catalog.Style[a] == catalog.Style[b])
                    {
                        sameStyle += cos;
                        nSame++;
                    }
                    else
                    {
                        otherStyle += cos;
                        nOther++;
                    }
                }
            }

            Assert.True(sameLeaf / nSameLeaf > (otherLeaf / nOtherLeaf) + 0.1, $"{preset}: same-leaf cosine {sameLeaf / nSameLeaf:F3}, other {otherLeaf / nOtherLeaf:F3}");
            return (sameStyle / nSame) - (otherStyle / nOther);
        }

        double original = StyleGap("tiny"), realistic = StyleGap("realistic-tiny");
        Assert.True(original > 0.03, $"original style gap {original:F3}");
        Assert.True(Math.Abs(realistic) < 0.015, $"realistic style gap {realistic:F3}");
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            dot += a[k] * b[k];
            na += a[k] * a[k];
            nb += b[k] * b[k];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
