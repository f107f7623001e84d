using Google.Protobuf;
using Karma.Export.Onnx;
using Karma.Onnx;
using Karma.Training.Modeling;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Karma.Export.Tests;

/// <summary>Each exported building block against its TorchSharp module on random inputs.</summary>
public sealed class BuildingBlockTests
{
    private const double Tolerance = 2e-5;

    private static float[] RunGraph(GraphBuilder g, string output, float[] x, long[] shape, params object[] outDims)
    {
        g.Output(output, "y", DataType.Float, outDims);
        using var graph = new OrtGraph(g.Build("test").ToByteArray());
        using var input = OrtGraph.Tensor(x, shape);
        return graph.Run([("x", input)], "y")[0];
    }

    private static double MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        Assert.All(b, v => Assert.True(float.IsFinite(v), "ONNX output is not finite")); // LINQ Max would skip NaN
        return a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
    }

    [Theory]
    [InlineData(1, 1, 8)]
    [InlineData(2, 5, 16)]
    [InlineData(3, 17, 64)]
    public void RmsNorm_MatchesTorch(int b, int t, int d)
    {
        manual_seed(b * 100 + t);
        using var norm = new RmsNorm(d, 1e-5);
        using (no_grad())
        {
            norm.weight.copy_(randn(d));
        }

        using var x = randn(b, t, d);
        var g = new GraphBuilder("rms");
        var y = Layers.RmsNorm(g, new Weights(Wrap(norm)), g.Input("x", DataType.Float, "b", "t", d), "m", 1e-5);
        float[] onnx = RunGraph(g, y, x.data<float>().ToArray(), [b, t, d], "b", "t", d);
        using var expected = norm.forward(x);
        Assert.True(MaxDiff(expected.data<float>().ToArray(), onnx) < Tolerance);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(4, 31)]
    public void SwiGlu_MatchesTorch(int b, int t)
    {
        manual_seed(t);
        using var ffn = new FeedForward(16, 40);
        using var x = randn(b, t, 16);
        var g = new GraphBuilder("swiglu");
        var y = Layers.SwiGlu(g, new Weights(Wrap(ffn)), g.Input("x", DataType.Float, "b", "t", 16), "m");
        float[] onnx = RunGraph(g, y, x.data<float>().ToArray(), [b, t, 16], "b", "t", 16);
        using var expected = ffn.forward(x);
        Assert.True(MaxDiff(expected.data<float>().ToArray(), onnx) < Tolerance);
    }

    [Fact]
    public void Gelu_And_L2Normalize_MatchTorch()
    {
        manual_seed(9);
        using var x = randn(5, 12) * 3;
        using (no_grad())
        {
            x[0] = zeros(12); // F.normalize of a zero row is zero, not NaN
        }

        var g = new GraphBuilder("gelu");
        var input = g.Input("x", DataType.Float, "n", 12);
        var y = Layers.L2Normalize(g, Layers.Gelu(g, input));
        float[] onnx = RunGraph(g, y, x.data<float>().ToArray(), [5, 12], "n", 12);
        using var expected = nn.functional.normalize(nn.functional.gelu(x), 2.0, -1);
        Assert.True(MaxDiff(expected.data<float>().ToArray(), onnx) < Tolerance);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 6)]
    [InlineData(3, 24)]
    public void RotaryCausalAttention_MatchesTorch(int b, int t)
    {
        const int d = 16, heads = 2, maxT = 32;
        manual_seed(t + 1);
        using var attention = new Attention(d, heads);
        using var x = randn(b, t, d);
        var g = new GraphBuilder("attn");
        var input = g.Input("x", DataType.Float, "b", "t", d);
        var (cosT, sinT) = RotaryEmbedding.Tables(maxT, d / heads, 10000.0, CPU);
        var mask = new float[maxT * maxT];
        for (int q = 0; q < maxT; q++)
        {
            for (int k = q + 1; k < maxT; k++)
            {
                mask[q * maxT + k] = float.NegativeInfinity;
            }
        }

        var len = g.Dim(input, 1);
        var cos = g.SliceToLength(g.Constant("cos", cosT.data<float>().ToArray(), maxT, d / heads), 0, len);
        var sin = g.SliceToLength(g.Constant("sin", sinT.data<float>().ToArray(), maxT, d / heads), 0, len);
        var causal = g.SliceToLength(g.SliceToLength(g.Constant("mask", mask, maxT, maxT), 0, len), 1, len);
        var y = Layers.Attention(g, new Weights(Wrap(attention)), input, "m", heads, d / heads, cos, sin, causal);
        float[] onnx = RunGraph(g, y, x.data<float>().ToArray(), [b, t, d], "b", "t", d);

        var (c2, s2) = RotaryEmbedding.Tables(t, d / heads, 10000.0, CPU);
        using var bias = full(t, t, float.NegativeInfinity).triu(1).view(1, 1, t, t);
        using var expected = attention.Forward(x, c2, s2, bias, null);
        Assert.True(MaxDiff(expected.data<float>().ToArray(), onnx) < Tolerance);
        foreach (var tt in new[] { cosT, sinT, c2, s2 })
        {
            tt.Dispose();
        }
    }

    /// <summary>Puts a module under the name "m" so its weights read as m.weight, m.w1.weight, ….</summary>
    private static Holder Wrap(nn.Module inner) => new(inner);

    private sealed class Holder : nn.Module
    {
        public nn.Module m;

        public Holder(nn.Module inner) : base("holder")
        {
            m = inner;
            RegisterComponents();
        }
    }
}
