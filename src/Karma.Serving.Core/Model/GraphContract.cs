using System.Globalization;
using Karma.Core.Package;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Karma.Serving.Core.Model;

/// <summary>
/// The checks of a package's graphs once ONNX Runtime has loaded them: each graph's signature against its manifest
/// entry, and the inputs that must agree with the rest of the package (the pre-ranker's widths, the user tower's
/// query-embedding input, the decoder's vocabulary). The exporter, <c>karma package verify</c> and the service's load
/// all make them, in the same words.
/// </summary>
public static class GraphContract
{
    /// <summary>Names, element types and shapes (dynamic dimensions by name) of a session's inputs or outputs, as the manifest lists them.</summary>
    public static List<ManifestTensor> Signature(IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return [.. metadata.Select(kv => new ManifestTensor(kv.Key, ElementName(kv.Value.ElementDataType),
            [.. kv.Value.Dimensions.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : kv.Value.SymbolicDimensions[i])]))];
    }

    /// <summary>The loaded graph's inputs and outputs must be those its manifest entry lists, in order.</summary>
    public static void CheckSignature(ManifestGraph graph, InferenceSession session, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(problems);
        var inputs = Signature(session.InputMetadata);
        var outputs = Signature(session.OutputMetadata);
        if (!Same(inputs, graph.Inputs) || !Same(outputs, graph.Outputs))
        {
            problems.Add($"{graph.File}: inputs/outputs differ from the manifest (graph: {Describe(inputs)} -> {Describe(outputs)}; " +
                $"manifest: {Describe(graph.Inputs)} -> {Describe(graph.Outputs)})");
        }
    }

    /// <summary>The pre-ranker must take [B, D] interests, [B, C, D] candidates and [B, C, F] features.</summary>
    public static void CheckPreRank(InferenceSession session, int dimensions, int features, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(problems);
        var inputs = session.InputMetadata;
        if (Last(inputs, TowerNames.User) != dimensions || Last(inputs, TowerNames.Candidates) != dimensions || Last(inputs, TowerNames.Features) != features)
        {
            problems.Add($"prerank graph: inputs user/candidates/features end in [{Last(inputs, TowerNames.User)}, {Last(inputs, TowerNames.Candidates)}, " +
                $"{Last(inputs, TowerNames.Features)}], the manifest needs [{dimensions}, {dimensions}, {features}]");
        }
    }

    /// <summary>The user tower takes the query's sentence embedding exactly when the manifest names a text encoder, at its width.</summary>
    public static void CheckTextInput(InferenceSession userTower, ManifestTextEncoder? textEncoder, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(userTower);
        ArgumentNullException.ThrowIfNull(problems);
        bool has = userTower.InputMetadata.TryGetValue(TowerNames.QueryEmbedding, out var meta);
        if (textEncoder is null && has)
        {
            problems.Add($"user_tower graph takes {TowerNames.QueryEmbedding}, but the manifest names no text_encoder");
        }
        else if (textEncoder is not null && (!has || meta!.Dimensions.Length != 2 || meta.Dimensions[^1] != textEncoder.Dimensions))
        {
            problems.Add($"manifest names text encoder {textEncoder.Name} ({textEncoder.Dimensions} wide), but the user_tower graph has no " +
                $"{TowerNames.QueryEmbedding} input of shape [batch, {textEncoder.Dimensions}]");
        }
    }

    /// <summary>The decoder must read [B, D] interests and [B, L] token ids and give [B, V] logits over the package's vocabulary.</summary>
    /// <returns>Whether it does.</returns>
    public static bool CheckDecoder(InferenceSession session, int dimensions, int vocabulary, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(problems);
        if (Last(session.InputMetadata, TowerNames.Interest) == dimensions && session.InputMetadata.ContainsKey(TowerNames.DecoderIds)
            && Last(session.OutputMetadata, TowerNames.NextTokenLogits) == vocabulary)
        {
            return true;
        }

        problems.Add($"decoder graph: expected inputs {TowerNames.Interest} [batch, {dimensions}] and {TowerNames.DecoderIds} [batch, tokens], output " +
            $"{TowerNames.NextTokenLogits} [batch, {vocabulary}]");
        return false;
    }

    private static long Last(IReadOnlyDictionary<string, NodeMetadata> metadata, string name)
        => metadata.TryGetValue(name, out var m) && m.Dimensions.Length > 0 ? m.Dimensions[^1] : -2;

    private static bool Same(List<ManifestTensor> actual, IReadOnlyList<ManifestTensor> expected)
        => actual.Count == expected.Count && actual.Zip(expected).All(p =>
            p.First.Name == p.Second.Name && p.First.ElementType == p.Second.ElementType && p.First.Shape.SequenceEqual(p.Second.Shape));

    private static string Describe(IReadOnlyList<ManifestTensor> tensors)
        => string.Join(", ", tensors.Select(t => $"{t.Name} {t.ElementType}[{string.Join(", ", t.Shape)}]"));

    private static string ElementName(TensorElementType t) => t switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Int64 => "int64",
        TensorElementType.Bool => "bool",
        _ => t.ToString().ToLowerInvariant(),
    };
}
