using Karma.Onnx;

namespace Karma.Export.Onnx;

/// <summary>
/// The model's building blocks as ONNX subgraphs, each mirroring its TorchSharp module operator by operator
/// (see Karma.Training/Modeling) so results agree to float rounding.
/// </summary>
public static class Layers
{
    /// <summary>y = x·Wᵀ (+ b), reading <c>{prefix}.weight</c> and, when present, <c>{prefix}.bias</c>.</summary>
    public static string Linear(GraphBuilder g, Weights w, string x, string prefix)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(w);
        var (wt, shape) = w.Transposed(prefix + ".weight");
        var y = g.MatMul(x, g.Constant(prefix + ".weight", wt, shape));
        if (w.Has(prefix + ".bias"))
        {
            var (b, bs) = w[prefix + ".bias"];
            y = g.Add(y, g.Constant(prefix + ".bias", b, bs));
        }

        return y;
    }

    /// <summary>RMSNorm: x · 1/sqrt(mean(x²) + eps) · weight.</summary>
    public static string RmsNorm(GraphBuilder g, Weights w, string x, string prefix, double eps)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(w);
        var variance = g.ReduceMeanLast(g.Mul(x, x));
        var inv = g.Div(g.Scalar("one", 1f), g.Sqrt(g.Add(variance, g.Scalar("eps", (float)eps))));
        var (weight, shape) = w[prefix + ".weight"];
        return g.Mul(g.Mul(x, inv), g.Constant(prefix + ".weight", weight, shape));
    }

    /// <summary>SwiGLU: w2(silu(w1 x) · w3 x).</summary>
    public static string SwiGlu(GraphBuilder g, Weights w, string x, string prefix)
    {
        var a = Linear(g, w, x, prefix + ".w1");
        var silu = g.Mul(a, g.Sigmoid(a));
        var b = Linear(g, w, x, prefix + ".w3");
        return Linear(g, w, g.Mul(silu, b), prefix + ".w2");
    }

    /// <summary>Exact GELU: 0.5·x·(1 + erf(x/√2)), as torch's default.</summary>
    public static string Gelu(GraphBuilder g, string x)
    {
        ArgumentNullException.ThrowIfNull(g);
        var erf = g.Node("Erf", [g.Mul(x, g.Scalar("inv_sqrt2", (float)(1 / Math.Sqrt(2))))]);
        return g.Mul(g.Mul(x, g.Scalar("half", 0.5f)), g.Add(erf, g.Scalar("one", 1f)));
    }

    /// <summary>L2 normalisation over the last axis: x / max(‖x‖, 1e-12), as torch's F.normalize.</summary>
    public static string L2Normalize(GraphBuilder g, string x)
    {
        ArgumentNullException.ThrowIfNull(g);
        var norm = g.Sqrt(g.ReduceSum(g.Mul(x, x), keepDims: true, -1));
        return g.Div(x, g.Max(norm, g.Scalar("norm_eps", 1e-12f)));
    }

    /// <summary>
    /// Causal self-attention with rotary positions. <paramref name="cos"/>/<paramref name="sin"/> are [T, hd] and
    /// <paramref name="mask"/> [T, T] (0 / −inf), already sliced to the sequence length.
    /// </summary>
    public static string Attention(GraphBuilder g, Weights w, string x, string prefix, int heads, int headDim,
        string cos, string sin, string mask)
    {
        ArgumentNullException.ThrowIfNull(g);
        string Heads(string proj) => g.Transpose(g.Reshape(Linear(g, w, x, prefix + "." + proj), 0, 0, heads, headDim), 0, 2, 1, 3);
        var q = Rotate(g, Heads("wq"), cos, sin, headDim);
        var k = Rotate(g, Heads("wk"), cos, sin, headDim);
        var v = Heads("wv");
        var scores = g.Add(g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), g.Scalar("scale", (float)(1.0 / Math.Sqrt(headDim)))), mask);
        var p = g.Softmax(scores, -1);
        var o = g.Reshape(g.Transpose(g.MatMul(p, v), 0, 2, 1, 3), 0, 0, heads * headDim);
        return Linear(g, w, o, prefix + ".wo");
    }

    /// <summary>Rotate-half rotary embedding: x·cos + concat(−x₂, x₁)·sin.</summary>
    public static string Rotate(GraphBuilder g, string x, string cos, string sin, int headDim)
    {
        ArgumentNullException.ThrowIfNull(g);
        int half = headDim / 2;
        var x1 = g.Slice(x, 3, 0, half);
        var x2 = g.Slice(x, 3, half, headDim);
        var rotated = g.Concat(3, g.Neg(x2), x1);
        return g.Add(g.Mul(x, cos), g.Mul(rotated, sin));
    }
}
