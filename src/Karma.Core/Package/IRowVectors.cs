namespace Karma.Core.Package;

/// <summary>
/// Read access to a row-major table of float vectors by row: a package's memory-mapped <see cref="VectorTable"/>, or
/// that table with rows appended since it was loaded (<see cref="AppendedRows"/>). Thread-safe to read.
/// </summary>
public interface IRowVectors
{
    /// <summary>Number of rows.</summary>
    int Rows { get; }

    /// <summary>Vector width.</summary>
    int Cols { get; }

    /// <summary>Copies row <paramref name="i"/> as float32 into <paramref name="destination"/> (length <see cref="Cols"/>).</summary>
    void CopyRow(int i, Span<float> destination);

    /// <summary>Copies the given rows, in order, one after another into <paramref name="destination"/> (length <c>rows.Length * Cols</c>).</summary>
    void Gather(ReadOnlySpan<int> rows, Span<float> destination);
}
