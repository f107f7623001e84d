using Microsoft.Extensions.Logging;

namespace Karma.Serving.Core.Model;

/// <summary>Source-generated log messages of model loading (no formatting cost when the level is off).</summary>
internal static partial class ModelLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "CUDA execution provider unavailable ({Reason}); running on CPU (first seen loading {Model})")]
    public static partial void CudaUnavailable(ILogger logger, string reason, string model);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Loaded model {Version} from {Directory}: {Items} items, D={Dim}, device {Device}")]
    public static partial void Loaded(ILogger logger, string version, string directory, int items, int dim, string device);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Model {Version}: {Verdict}")]
    public static partial void GatePassed(ILogger logger, string version, string verdict);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Model {Version}: {Verdict}")]
    public static partial void GateNotPassed(ILogger logger, string version, string verdict);
}
