using Google.Protobuf;
using Karma.Core.Package;
using Karma.Onnx;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Karma.Serving.Core.Indexing;

/// <summary>
/// Exact search as an ONNX graph, <c>TopK(MatMul(query, tableᵀ) + mask, k)</c>, with the table baked in as
/// an initializer so that on the CUDA provider it stays resident on the device and a query moves only D
/// floats in and 2k numbers out. The mask (0 for accepted rows, −∞ otherwise) applies the filter inside the
/// search. On the CPU provider it is a correctness reference for the GPU path.
/// </summary>
public sealed class OnnxExactIndex : IVectorIndex
{
    private readonly InferenceSession _session;
    private readonly OrtValue _noMask;
    private readonly float[] _noMaskData;

    private OnnxExactIndex(InferenceSession session, int count, int dims, string device)
    {
        _session = session;
        Count = count;
        Dimensions = dims;
        Device = device;
        _noMaskData = new float[count];
        _noMask = OrtValue.CreateTensorValueFromMemory(_noMaskData, [1, count]);
    }

    /// <inheritdoc />
    public string Kind => IndexKinds.Name(IndexKind.OnnxExact);

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Dimensions { get; }

    /// <summary><c>cuda</c> or <c>cpu</c>.</summary>
    public string Device { get; }

    /// <summary>Builds the graph over the table's rows and opens it on <paramref name="device"/>.</summary>
    /// <param name="embeddings">The item vectors, one per row; copied, transposed, into the graph as a constant.</param>
    /// <param name="device">Where the session runs (<see cref="InferenceDevice.Auto"/>: CUDA if it loads, else CPU).</param>
    /// <param name="logger">Receives the CUDA-fallback line.</param>
    /// <param name="threading">CPU threading of the scan's session; null keeps ONNX Runtime's defaults.</param>
    public static OnnxExactIndex Build(VectorTable embeddings, InferenceDevice device, ILogger logger, SessionThreading? threading = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        int n = embeddings.Rows, d = embeddings.Cols;
        var transposed = new float[(long)n * d];
        var row = new float[d];
        for (int r = 0; r < n; r++)
        {
            embeddings.CopyRow(r, row);
            for (int c = 0; c < d; c++)
            {
                transposed[(long)c * n + r] = row[c];
            }
        }

        var g = new GraphBuilder("exact_search");
        var query = g.Input("query", DataType.Float, "batch", d);
        var mask = g.Input("mask", DataType.Float, "mask_rows", n);
        var k = g.Input("k", DataType.Int64, 1);
        var scores = g.Add(g.MatMul(query, g.Constant("table_t", transposed, d, n)), mask);
        var (topScores, topRows) = g.TopK(scores, k);
        g.Output(topScores, "scores", DataType.Float, "batch", "k");
        g.Output(topRows, "rows", DataType.Int64, "batch", "k");
        var model = g.Build("exact inner-product search: TopK(MatMul(query, table^T) + mask)");
        var session = SessionFactory.Create(model.ToByteArray(), "exact_search", device, logger, out string actual, threading);
        return new OnnxExactIndex(session, n, d, actual);
    }

    /// <inheritdoc />
    public IReadOnlyList<Hit> Search(ReadOnlySpan<float> query, int k, IRowFilter? filter = null)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException($"query has {query.Length} values, the index {Dimensions}", nameof(query));
        }

        k = Math.Min(k, Count);
        if (k <= 0)
        {
            return [];
        }

        float[] q = query.ToArray();
        OrtValue? maskValue = null;
        if (filter is not null)
        {
            var mask = new float[Count];
            for (int r = 0; r < Count; r++)
            {
                if (!filter.Accepts(r))
                {
                    mask[r] = float.NegativeInfinity;
                }
            }

            maskValue = OrtValue.CreateTensorValueFromMemory(mask, [1, Count]);
        }

        try
        {
            using var queryValue = OrtValue.CreateTensorValueFromMemory(q, [1, Dimensions]);
            using var kValue = OrtValue.CreateTensorValueFromMemory(new long[] { k }, [1]);
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, Inputs, [queryValue, maskValue ?? _noMask, kValue], Outputs);
            var scores = outputs[0].GetTensorDataAsSpan<float>();
            var rows = outputs[1].GetTensorDataAsSpan<long>();
            var hits = new List<Hit>(k);
            for (int i = 0; i < scores.Length; i++)
            {
                if (float.IsNegativeInfinity(scores[i]))
                {
                    break; // fewer accepted rows than k
                }

                hits.Add(new Hit((int)rows[i], scores[i]));
            }

            return hits;
        }
        finally
        {
            maskValue?.Dispose();
        }
    }

    private static readonly string[] Inputs = ["query", "mask", "k"];
    private static readonly string[] Outputs = ["scores", "rows"];

    /// <inheritdoc />
    public void Dispose()
    {
        _noMask.Dispose();
        _session.Dispose();
    }
}
