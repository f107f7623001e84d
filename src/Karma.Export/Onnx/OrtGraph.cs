using Microsoft.ML.OnnxRuntime;

namespace Karma.Export.Onnx;

/// <summary>One ONNX Runtime session (CPU) over a graph, run with the OrtValue API; used for parity and the item tables.</summary>
public sealed class OrtGraph : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();

    /// <summary>Loads a serialized graph.</summary>
    public OrtGraph(byte[] model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(model, options);
    }

    /// <summary>The session (names and metadata).</summary>
    public InferenceSession Session => _session;

    /// <summary>Runs with named inputs; returns each output copied to a float array.</summary>
    public float[][] Run(IReadOnlyList<(string Name, OrtValue Value)> inputs, params string[] outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var results = _session.Run(_run, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), outputs);
        return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    /// <summary>A tensor over managed memory (no copy).</summary>
    public static OrtValue Tensor<T>(T[] data, params long[] shape) where T : unmanaged
        => OrtValue.CreateTensorValueFromMemory(data, shape);

    /// <inheritdoc />
    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
