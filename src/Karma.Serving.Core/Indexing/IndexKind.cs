using System.ComponentModel.DataAnnotations;

namespace Karma.Serving.Core.Indexing;

/// <summary>The recall indexes the service can build over a package's embedding table.</summary>
public enum IndexKind
{
    /// <summary>Exact inner-product search, SIMD and multi-threaded: the reference (<see cref="ExactIndex"/>).</summary>
    Exact,

    /// <summary>HNSW through USearch, for large tables (<see cref="HnswIndex"/>).</summary>
    Hnsw,

    /// <summary>Exact search as an ONNX MatMul+TopK graph, the table resident on the device (<see cref="OnnxExactIndex"/>).</summary>
    OnnxExact,
}

/// <summary>The names an index kind has in settings, responses and metrics (<c>exact</c>, <c>hnsw</c>, <c>onnx-exact</c>).</summary>
public static class IndexKinds
{
    /// <summary>Every kind's name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<IndexKind>().Select(Name).ToArray();

    /// <summary>The kind's name.</summary>
    public static string Name(IndexKind kind) => kind switch
    {
        IndexKind.Exact => "exact",
        IndexKind.Hnsw => "hnsw",
        IndexKind.OnnxExact => "onnx-exact",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an index kind"),
    };

    /// <summary>The kind named <paramref name="name"/> (exactly, lower case), or false.</summary>
    public static bool TryParse(string? name, out IndexKind kind)
    {
        foreach (var k in Enum.GetValues<IndexKind>())
        {
            if (string.Equals(Name(k), name, StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>The kind named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No kind has that name; the message lists the names.</exception>
    public static IndexKind Parse(string? name)
        => TryParse(name, out var kind) ? kind : throw new ArgumentException($"'{name}' is not an index kind ({string.Join(", ", Names)})", nameof(name));
}

/// <summary>Validates a setting that names an index kind.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class IndexKindNameAttribute : ValidationAttribute
{
    /// <inheritdoc />
    public override bool IsValid(object? value) => value is string name && IndexKinds.TryParse(name, out _);

    /// <inheritdoc />
    public override string FormatErrorMessage(string name) => $"{name} must be {string.Join(", ", IndexKinds.Names.SkipLast(1))} or {IndexKinds.Names[^1]}";
}
