using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Multi-head causal self-attention with rotary positions. Written out (not fused) so the attention
/// probabilities can be returned for the attention-sink diagnostic and mirrored operator by operator in ONNX.
/// </summary>
public sealed class Attention : nn.Module
{
    private readonly int _heads;
    private readonly int _headDim;

    /// <summary>Query, key, value and output projections (no bias), LLaMA names.</summary>
    public Linear wq, wk, wv, wo;

    /// <summary>Creates the block for width <paramref name="dModel"/> split into <paramref name="heads"/> heads.</summary>
    public Attention(int dModel, int heads) : base(nameof(Attention))
    {
        _heads = heads;
        _headDim = dModel / heads;
        wq = nn.Linear(dModel, dModel, hasBias: false);
        wk = nn.Linear(dModel, dModel, hasBias: false);
        wv = nn.Linear(dModel, dModel, hasBias: false);
        wo = nn.Linear(dModel, dModel, hasBias: false);
        RegisterComponents();
    }

    /// <summary>
    /// x [B, T, d]; <paramref name="bias"/> [B or 1, 1, T, T] additive mask (0 or -inf); returns [B, T, d] and,
    /// when <paramref name="probabilities"/> is given, appends the attention probabilities [B, H, T, T].
    /// </summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor bias, List<Tensor>? probabilities)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = wq.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = wk.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var v = wv.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        var scores = matmul(q, k.transpose(-2, -1)) * (1.0 / Math.Sqrt(_headDim)) + bias;
        var p = nn.functional.softmax(scores, -1);
        if (probabilities is not null)
        {
            probabilities.Add(p.detach().DetachFromDisposeScope()); // owned by the caller, not by any scope
        }

        var o = matmul(p, v).transpose(1, 2).reshape(b, t, _heads * _headDim);
        return wo.forward(o).MoveToOuterDisposeScope();
    }
}
