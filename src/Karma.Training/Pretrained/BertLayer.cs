using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Pretrained;

/// <summary>One BERT encoder layer: bidirectional self-attention and a GELU feed-forward, each followed by residual + LayerNorm.</summary>
public sealed class BertLayer : nn.Module
{
    private readonly int _heads;
    private readonly int _headDim;

    /// <summary>Attention projections and output (Hugging Face: attention.self.query/key/value, attention.output.dense).</summary>
    public Linear query, key, value, attention_output;

    /// <summary>Feed-forward (Hugging Face: intermediate.dense, output.dense).</summary>
    public Linear intermediate, output;

    /// <summary>Post-LayerNorms (Hugging Face: attention.output.LayerNorm, output.LayerNorm).</summary>
    public LayerNorm attention_norm, output_norm;

    /// <summary>Creates the layer.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        ArgumentNullException.ThrowIfNull(config);
        _heads = config.Heads;
        _headDim = config.Hidden / config.Heads;
        query = nn.Linear(config.Hidden, config.Hidden);
        key = nn.Linear(config.Hidden, config.Hidden);
        value = nn.Linear(config.Hidden, config.Hidden);
        attention_output = nn.Linear(config.Hidden, config.Hidden);
        intermediate = nn.Linear(config.Hidden, config.Intermediate);
        output = nn.Linear(config.Intermediate, config.Hidden);
        attention_norm = nn.LayerNorm(config.Hidden, config.LayerNormEps);
        output_norm = nn.LayerNorm(config.Hidden, config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>x [B, T, d]; <paramref name="bias"/> [B, 1, 1 or T, T] additive attention mask; returns [B, T, d].</summary>
    public Tensor Forward(Tensor x, Tensor bias)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = query.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = key.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var v = value.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var p = nn.functional.softmax(matmul(q, k.transpose(-2, -1)) * (1.0 / Math.Sqrt(_headDim)) + bias, -1);
        var context = matmul(p, v).transpose(1, 2).reshape(b, t, _heads * _headDim);
        var h = attention_norm.forward(x + attention_output.forward(context));
        var y = output_norm.forward(h + output.forward(nn.functional.gelu(intermediate.forward(h))));
        return y.MoveToOuterDisposeScope();
    }
}
