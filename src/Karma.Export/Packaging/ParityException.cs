namespace Karma.Export.Packaging;

/// <summary>The exported graphs disagree with the trainer; the message names the graph and how far off it is.</summary>
public sealed class ParityException : Exception
{
    /// <inheritdoc />
    public ParityException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public ParityException()
    {
    }

    /// <inheritdoc />
    public ParityException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Agreement of one graph with the trainer's forward pass.</summary>
/// <param name="Graph">Graph role.</param>
/// <param name="Samples">Inputs compared.</param>
/// <param name="MaxAbsDiff">Largest absolute difference of any output element.</param>
/// <param name="Top10Agreement">Share of samples whose top-10 items over the table agree (user tower only).</param>
/// <param name="Informational">Reported in the manifest but not a condition for writing (e.g. the f16 table's ranking).</param>
public sealed record ParityResult(string Graph, int Samples, double MaxAbsDiff, double? Top10Agreement, bool Informational = false);
