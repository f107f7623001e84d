using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Karma.Onnx;

/// <summary>
/// Builds an ONNX graph node by node with the protobuf types of OnnxSharp (TorchSharp has no ONNX export).
/// Targets opset 17 and IR version 8, which ONNX Runtime 1.31 and Debian 12's <c>python3-onnx</c> (1.12,
/// the independent checker run in CI) both accept. Every helper returns the name of its output value.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>The operator set every graph is built for.</summary>
    public const int Opset = 17;

    /// <summary>ONNX IR version matching <see cref="Opset"/>.</summary>
    public const int IrVersion = 8;

    private readonly GraphProto _graph = new();
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);

    /// <summary>Creates a builder for a graph of the given name.</summary>
    public GraphBuilder(string name) => _graph.Name = name;

    /// <summary>Declares a graph input; a string dimension is symbolic (dynamic), a number fixed.</summary>
    public string Input(string name, DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as graph output <paramref name="name"/> (an Identity renames it).</summary>
    public void Output(string value, string name, DataType type, params object[] dims)
    {
        Node("Identity", [value], name);
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float initializer.</summary>
    public string Constant(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var t = new TensorProto { Name = Unique(name), DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data)) };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>An int64 initializer.</summary>
    public string Int64s(string name, params long[] data)
    {
        var t = new TensorProto { Name = Unique(name), DataType = (int)DataType.Int64 };
        t.Dims.Add(data.Length);
        t.Int64Data.AddRange(data);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string name, float value)
    {
        var t = new TensorProto { Name = Unique(name), DataType = (int)DataType.Float };
        t.FloatData.Add(value);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>An int64 scalar initializer.</summary>
    public string ScalarInt64(string name, long value)
    {
        var t = new TensorProto { Name = Unique(name), DataType = (int)DataType.Int64 };
        t.Int64Data.Add(value);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>Adds a node with one output; attributes are (name, value) pairs of long, float, long[] or string.</summary>
    public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Unique(op) };
        node.Input.AddRange(inputs);
        string o = output ?? Unique(op.ToLowerInvariant() + "_out");
        node.Output.Add(o);
        foreach (var (n, v) in attributes)
        {
            node.Attribute.Add(Attribute(n, v));
        }

        _graph.Node.Add(node);
        return o;
    }

    /// <summary>Adds a node with several outputs; returns their names in order.</summary>
    public string[] NodeMulti(string op, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var node = new NodeProto { OpType = op, Name = Unique(op) };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => Unique($"{op.ToLowerInvariant()}_out{i}")).ToArray();
        node.Output.AddRange(names);
        foreach (var (n, v) in attributes)
        {
            node.Attribute.Add(Attribute(n, v));
        }

        _graph.Node.Add(node);
        return names;
    }

    /// <summary>The <paramref name="k"/> (a 1-element int64 value) largest values along the last axis, sorted, with their indices.</summary>
    public (string Values, string Indices) TopK(string x, string k)
    {
        var o = NodeMulti("TopK", [x, k], 2, ("axis", -1L), ("largest", 1L), ("sorted", 1L));
        return (o[0], o[1]);
    }

    /// <summary>Builds the model.</summary>
    public ModelProto Build(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "karma-export",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    // ---- operator helpers -------------------------------------------------------------------------

    /// <summary>Matrix product.</summary>
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    /// <summary>Elementwise sum (broadcasting).</summary>
    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>Elementwise difference.</summary>
    public string Sub(string a, string b) => Node("Sub", [a, b]);

    /// <summary>Elementwise product.</summary>
    public string Mul(string a, string b) => Node("Mul", [a, b]);

    /// <summary>Elementwise quotient.</summary>
    public string Div(string a, string b) => Node("Div", [a, b]);

    /// <summary>Elementwise negation.</summary>
    public string Neg(string a) => Node("Neg", [a]);

    /// <summary>Elementwise maximum.</summary>
    public string Max(string a, string b) => Node("Max", [a, b]);

    /// <summary>Elementwise square root.</summary>
    public string Sqrt(string a) => Node("Sqrt", [a]);

    /// <summary>Logistic sigmoid.</summary>
    public string Sigmoid(string a) => Node("Sigmoid", [a]);

    /// <summary>Softmax over one axis.</summary>
    public string Softmax(string a, long axis) => Node("Softmax", [a], null, ("axis", axis));

    /// <summary>Rows of <paramref name="data"/> picked by <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    public string Gather(string data, string indices, long axis = 0) => Node("Gather", [data, indices], null, ("axis", axis));

    /// <summary>Reshape (0 copies the input dimension, -1 infers it).</summary>
    public string Reshape(string a, params long[] shape) => Node("Reshape", [a, Int64s("shape", shape)]);

    /// <summary>Axis permutation.</summary>
    public string Transpose(string a, params long[] perm) => Node("Transpose", [a], null, ("perm", perm));

    /// <summary>Concatenation along an axis.</summary>
    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, null, ("axis", axis));

    /// <summary>Inserts size-1 axes.</summary>
    public string Unsqueeze(string a, params long[] axes) => Node("Unsqueeze", [a, Int64s("axes", axes)]);

    /// <summary>Removes size-1 axes.</summary>
    public string Squeeze(string a, params long[] axes) => Node("Squeeze", [a, Int64s("axes", axes)]);

    /// <summary>Static slice [start, end) along one axis.</summary>
    public string Slice(string a, long axis, long start, long end)
        => Node("Slice", [a, Int64s("starts", start), Int64s("ends", end), Int64s("axes", axis)]);

    /// <summary>Slice [0, end) along <paramref name="axis"/> where <paramref name="end"/> is a 1-element int64 value.</summary>
    public string SliceToLength(string a, long axis, string end)
        => Node("Slice", [a, Int64s("starts", 0), end, Int64s("axes", axis)]);

    /// <summary>Dimension <paramref name="axis"/> of a value's shape as a 1-element int64 tensor.</summary>
    public string Dim(string a, long axis) => Node("Shape", [a], null, ("start", axis), ("end", axis + 1));

    /// <summary>Mean over the last axis, keeping it (opset 17: axes is an attribute).</summary>
    public string ReduceMeanLast(string a) => Node("ReduceMean", [a], null, ("axes", new long[] { -1 }), ("keepdims", 1L));

    /// <summary>Sum over the given axes (opset 13+: axes is an input).</summary>
    public string ReduceSum(string a, bool keepDims, params long[] axes)
        => Node("ReduceSum", [a, Int64s("axes", axes)], null, ("keepdims", keepDims ? 1L : 0L));

    /// <summary>Select elementwise.</summary>
    public string Where(string condition, string ifTrue, string ifFalse) => Node("Where", [condition, ifTrue, ifFalse]);

    /// <summary>Elementwise equality.</summary>
    public string Equal(string a, string b) => Node("Equal", [a, b]);

    /// <summary>Element type conversion.</summary>
    public string Cast(string a, DataType to) => Node("Cast", [a], null, ("to", (long)to));

    private string Unique(string stem)
    {
        int n = _names.TryGetValue(stem, out int k) ? k + 1 : 0;
        _names[stem] = n;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"dimension {d} must be a string, int or long", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ls => Ints(name, ls),
        _ => throw new ArgumentException($"unsupported attribute type {value.GetType()}", nameof(value)),
    };

    private static AttributeProto Ints(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
