using Karma.Core.Package;

namespace Karma.Export.Packaging;

/// <summary>The exported model failed the quality gate; nothing was written. The message names every failed check.</summary>
public sealed class QualityGateException : Exception
{
    /// <summary>Creates the exception from the gate's verdict.</summary>
    public QualityGateException(ManifestGate gate)
        : base((gate ?? throw new ArgumentNullException(nameof(gate))).Summary + "; nothing written (--force writes it anyway, recorded in the manifest)")
        => Gate = gate;

    /// <inheritdoc />
    public QualityGateException()
    {
    }

    /// <inheritdoc />
    public QualityGateException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public QualityGateException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The verdict (null when constructed from a message alone).</summary>
    public ManifestGate? Gate { get; }
}
