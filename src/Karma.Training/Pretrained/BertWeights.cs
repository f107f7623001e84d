using System.Runtime.InteropServices;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Karma.Training.Pretrained;

/// <summary>One weight tensor in the Hugging Face layout (a linear layer's weight is [out, in]).</summary>
public sealed record WeightTensor(long[] Shape, float[] Values);

/// <summary>
/// The weights of a BERT-layout encoder read out of its ONNX export, under their Hugging Face names
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, …). Embeddings,
/// biases and LayerNorm parameters are initializers that keep those names; the matrices are anonymous initializers
/// feeding MatMul nodes, so each is named after the bias its MatMul's output is added to
/// (<c>….query.bias</c> → <c>….query.weight</c>) and transposed from MatMul's [in, out] to [out, in].
/// </summary>
public static class BertWeights
{
    /// <summary>Reads every float weight of the graph; throws naming what is missing or malformed.</summary>
    public static IReadOnlyDictionary<string, WeightTensor> FromOnnx(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = ModelProto.Parser.ParseFrom(model).Graph ?? throw new InvalidDataException("the ONNX model has no graph");
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer.Where(t => t.DataType == (int)DataType.Float && IsNamed(t.Name)))
        {
            weights[t.Name] = new WeightTensor([.. t.Dims], Floats(t));
        }

        var addOf = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.OpType == "Add"))
        {
            foreach (string input in node.Input)
            {
                addOf.TryAdd(input, node);
            }
        }

        foreach (var matMul in graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2 && initializers.ContainsKey(n.Input[1])))
        {
            var matrix = initializers[matMul.Input[1]];
            if (IsNamed(matrix.Name))
            {
                continue;
            }

            string bias = addOf.TryGetValue(matMul.Output[0], out var add)
                ? add.Input.FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && initializers.ContainsKey(i)) ?? string.Empty
                : string.Empty;
            if (bias.Length == 0)
            {
                throw new InvalidDataException($"MatMul {matMul.Name}: no bias added to its output names its weight");
            }

            if (matrix.Dims.Count != 2)
            {
                throw new InvalidDataException($"MatMul {matMul.Name}: weight of rank {matrix.Dims.Count}, expected 2");
            }

            weights[bias[..^".bias".Length] + ".weight"] = Transposed(matrix);
        }

        return weights;
    }

    /// <summary>ONNX export names anonymous initializers with numbers (e.g. "927").</summary>
    private static bool IsNamed(string name) => name.Any(char.IsLetter);

    private static float[] Floats(TensorProto t)
    {
        long count = t.Dims.Aggregate(1L, (a, d) => a * d);
        float[] values = t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData];
        if (values.Length != count)
        {
            throw new InvalidDataException($"initializer {t.Name}: {values.Length} values for shape [{string.Join(", ", t.Dims)}]");
        }

        return values;
    }

    private static WeightTensor Transposed(TensorProto t)
    {
        float[] source = Floats(t);
        int rows = (int)t.Dims[0], cols = (int)t.Dims[1];
        var result = new float[source.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                result[(c * rows) + r] = source[(r * cols) + c];
            }
        }

        return new WeightTensor([cols, rows], result);
    }
}
