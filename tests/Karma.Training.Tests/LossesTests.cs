using Karma.Training.Objectives;
using static TorchSharp.torch;

namespace Karma.Training.Tests;

public sealed class LossesTests
{
    private static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void Bpr_MatchesHandComputedValue_AndIgnoresInvalidPairs()
    {
        using var pos = tensor(new[] { 2f, 0f });
        using var neg = tensor(new[] { 1f, 3f, -1f, 0.5f }, [2, 2]);
        using var valid = tensor(new[] { true, true, true, false }, [2, 2]);
        double expected = (Softplus(1 - 2) + Softplus(3 - 2) + Softplus(-1 - 0)) / 3;
        using var loss = Losses.Bpr(pos, neg, valid);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void InfoNce_MatchesHandComputedValue()
    {
        using var pos = tensor(new[] { 1f });
        using var neg = tensor(new[] { 0f, 2f, 100f }, [1, 3]);
        using var valid = tensor(new[] { true, true, false }, [1, 3]);
        double expected = -Math.Log(Math.Exp(1) / (Math.Exp(1) + Math.Exp(0) + Math.Exp(2)));
        using var loss = Losses.InfoNce(pos, neg, valid);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void NextTokenCrossEntropy_SkipsIgnoredLabels()
    {
        // Two positions over a 3-token vocabulary; the second label is ignored.
        using var logits = tensor(new[] { 0f, 1f, 2f, 5f, 5f, 5f }, [1, 2, 3]);
        using var labels = tensor(new[] { 2L, Losses.IgnoreIndex }, [1, 2]);
        double expected = -Math.Log(Math.Exp(2) / (1 + Math.Exp(1) + Math.Exp(2)));
        using var loss = Losses.NextTokenCrossEntropy(logits, labels);
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void CosineDistance_IsOneMinusCosine_Averaged()
    {
        // Row 1: same direction at another length (distance 0); row 2: orthogonal (distance 1).
        using var a = tensor(new[] { 1f, 1f, 0f, 2f }, [2, 2]);
        using var b = tensor(new[] { 3f, 3f, 5f, 0f }, [2, 2]);
        using var loss = Losses.CosineDistance(a, b);
        Assert.Equal(0.5, loss.item<float>(), 6);
    }

    [Fact]
    public void ImageRegression_IsMeanSquaredError()
    {
        using var a = tensor(new[] { 1f, 2f, 3f, 4f }, [2, 2]);
        using var b = tensor(new[] { 1f, 0f, 3f, 2f }, [2, 2]);
        using var loss = Losses.ImageRegression(a, b);
        Assert.Equal((0 + 4 + 0 + 4) / 4.0, loss.item<float>(), 6);
    }

    [Fact]
    public void ImageRegression_Masked_IgnoresRowsWithoutImage()
    {
        using var a = tensor(new[] { 1f, 2f, 9f, 9f }, [2, 2]);
        using var b = tensor(new[] { 1f, 0f, 0f, 0f }, [2, 2]);
        using var valid = tensor(new[] { true, false });
        using var loss = Losses.ImageRegression(a, b, valid);
        Assert.Equal((0 + 4) / 2.0, loss.item<float>(), 6);
    }

    [Fact]
    public void Bpr_GradientPushesPositiveUpAndNegativeDown()
    {
        using var pos = tensor(new[] { 0f }, requires_grad: true);
        using var neg = tensor(new[] { 0f }, [1, 1], requires_grad: true);
        using var valid = tensor(new[] { true }, [1, 1]);
        using var loss = Losses.Bpr(pos, neg, valid);
        loss.backward();
        Assert.True(pos.grad!.item<float>() < 0);
        Assert.True(neg.grad!.item<float>() > 0);
    }
}
