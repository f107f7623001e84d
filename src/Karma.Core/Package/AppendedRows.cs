namespace Karma.Core.Package;

/// <summary>
/// Append-only float rows in fixed-size chunks, written by one writer and read by many: a row never moves once
/// written, so a reader that was handed a row count (<see cref="AppendedRows"/>) can read every row below it while
/// the writer appends more. Rows are visible to readers only through a count published after they were written.
/// </summary>
public sealed class RowStore
{
    /// <summary>Rows per chunk: 4,096 rows of 64 floats are 1 MiB, small enough to stay off the large-object heap's worst cases and large enough to be few.</summary>
    private const int ChunkRows = 4096;

    private readonly Lock _write = new();
    private float[][] _chunks = [];
    private int _count;

    /// <summary>Creates an empty store of rows of <paramref name="cols"/> floats.</summary>
    public RowStore(int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        Cols = cols;
    }

    /// <summary>Vector width.</summary>
    public int Cols { get; }

    /// <summary>Rows written so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends rows (row-major, a multiple of <see cref="Cols"/>); returns the index of the first.</summary>
    public int Append(ReadOnlySpan<float> rows)
    {
        if (rows.Length % Cols != 0)
        {
            throw new ArgumentException($"{rows.Length} numbers are not a whole number of rows of {Cols}", nameof(rows));
        }

        lock (_write)
        {
            int first = _count, n = rows.Length / Cols;
            for (int r = 0; r < n; r++)
            {
                int at = first + r, chunk = at / ChunkRows;
                if (chunk == _chunks.Length)
                {
                    // A new array of chunk references: readers holding the old one still find every row they were given.
                    var grown = new float[chunk + 1][];
                    Array.Copy(_chunks, grown, chunk);
                    grown[chunk] = new float[ChunkRows * Cols];
                    Volatile.Write(ref _chunks, grown);
                }

                rows.Slice(r * Cols, Cols).CopyTo(_chunks[chunk].AsSpan(at % ChunkRows * Cols, Cols));
            }

            Volatile.Write(ref _count, first + n);
            return first;
        }
    }

    /// <summary>Row <paramref name="i"/> (below a count read earlier).</summary>
    public ReadOnlySpan<float> Row(int i)
    {
        if ((uint)i >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"row {i} is outside the {Count} appended rows");
        }

        return Volatile.Read(ref _chunks)[i / ChunkRows].AsSpan(i % ChunkRows * Cols, Cols);
    }
}

/// <summary>
/// A package table with the rows appended since it was loaded: rows below the table's count read the table, the
/// next <see cref="AppendedCount"/> rows read the store. Immutable: a later append is seen through a new instance.
/// </summary>
public sealed class AppendedRows : IRowVectors
{
    private readonly IRowVectors _table;
    private readonly RowStore _appended;
    private readonly int _baseRows;

    /// <summary>The table and the first <paramref name="appendedCount"/> rows of the store after it.</summary>
    public AppendedRows(IRowVectors table, RowStore appended, int appendedCount)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(appended);
        if (appended.Cols != table.Cols)
        {
            throw new ArgumentException($"appended rows have {appended.Cols} columns, the table {table.Cols}", nameof(appended));
        }

        if (appendedCount < 0 || appendedCount > appended.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(appendedCount), appendedCount, $"the store holds {appended.Count} rows");
        }

        _table = table;
        _appended = appended;
        _baseRows = table.Rows;
        AppendedCount = appendedCount;
    }

    /// <summary>Rows appended after the table's.</summary>
    public int AppendedCount { get; }

    /// <inheritdoc />
    public int Rows => _baseRows + AppendedCount;

    /// <inheritdoc />
    public int Cols => _table.Cols;

    /// <inheritdoc />
    public void CopyRow(int i, Span<float> destination)
    {
        if (i < _baseRows)
        {
            _table.CopyRow(i, destination);
            return;
        }

        if (i - _baseRows >= AppendedCount)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"row {i} is outside the {Rows} rows");
        }

        if (destination.Length != Cols)
        {
            throw new ArgumentException($"destination has {destination.Length} numbers, a row has {Cols}", nameof(destination));
        }

        _appended.Row(i - _baseRows).CopyTo(destination);
    }

    /// <inheritdoc />
    public void Gather(ReadOnlySpan<int> rows, Span<float> destination)
    {
        if ((long)rows.Length * Cols != destination.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} numbers, {rows.Length} rows x {Cols} columns need {(long)rows.Length * Cols}",
                nameof(destination));
        }

        for (int k = 0; k < rows.Length; k++)
        {
            CopyRow(rows[k], destination.Slice(k * Cols, Cols));
        }
    }
}
