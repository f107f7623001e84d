using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Rotary position embedding in the "rotate half" form (GPT-NeoX / Hugging Face LLaMA): channel i of the first
/// half pairs with channel i of the second half. Tables are computed per call: at our sequence lengths that
/// costs microseconds and keeps them out of the state dict.
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>cos and sin tables of shape [T, headDim] for positions 0..T-1.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(long seqLen, long headDim, double theta, Device device)
    {
        using var scope = NewDisposeScope();
        var inv = pow(theta, -arange(0, headDim, 2, float64, device) / headDim).to_type(float32);
        var t = arange(seqLen, float32, device);
        var freqs = outer(t, inv);                    // [T, headDim/2]
        var emb = cat([freqs, freqs], -1);            // [T, headDim]
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Applies the rotation to x of shape [B, H, T, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
