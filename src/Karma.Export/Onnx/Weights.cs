using static TorchSharp.torch;

namespace Karma.Export.Onnx;

/// <summary>A module's state dict copied to host arrays, with clear errors for a missing weight.</summary>
public sealed class Weights
{
    private readonly Dictionary<string, (float[] Data, long[] Shape)> _tensors = new(StringComparer.Ordinal);

    /// <summary>Copies every float tensor of the state dict.</summary>
    public Weights(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, t) in module.state_dict())
        {
            using var c = t.detach().to(CPU).to_type(float32).contiguous();
            _tensors[name] = (c.data<float>().ToArray(), c.shape);
        }
    }

    /// <summary>True when the weight exists.</summary>
    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>The weight's values and shape.</summary>
    public (float[] Data, long[] Shape) this[string name]
        => _tensors.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"checkpoint has no weight '{name}'");

    /// <summary>A [out, in] Linear weight transposed to [in, out] for x·W.</summary>
    public (float[] Data, long[] Shape) Transposed(string name)
    {
        var (data, shape) = this[name];
        long rows = shape[0], cols = shape[1];
        var t = new float[data.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < cols; c++)
            {
                t[c * rows + r] = data[r * cols + c];
            }
        }

        return (t, [cols, rows]);
    }
}
