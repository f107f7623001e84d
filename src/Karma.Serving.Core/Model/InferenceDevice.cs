using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Model;

/// <summary>Where ONNX Runtime runs the graphs.</summary>
public enum InferenceDevice
{
    /// <summary>CUDA when the provider loads, else CPU with one log line saying why.</summary>
    Auto,
    /// <summary>CUDA or fail.</summary>
    Cuda,
    /// <summary>CPU only.</summary>
    Cpu,
}

/// <summary>Creates ONNX Runtime sessions for a device, falling back from CUDA to CPU under <see cref="InferenceDevice.Auto"/>.</summary>
public static class SessionFactory
{
    /// <summary>A session over <paramref name="modelPath"/>; <paramref name="actualDevice"/> says what it runs on.</summary>
    public static InferenceSession Create(string modelPath, InferenceDevice device, ILogger logger, out string actualDevice,
        SessionThreading? threading = null)
        => Create(Path.GetFileName(modelPath), o => new InferenceSession(modelPath, o), device, logger, threading, out actualDevice);

    /// <summary>A session over an in-memory graph named <paramref name="name"/> in logs.</summary>
    public static InferenceSession Create(byte[] model, string name, InferenceDevice device, ILogger logger, out string actualDevice,
        SessionThreading? threading = null)
        => Create(name, o => new InferenceSession(model, o), device, logger, threading, out actualDevice);

    private static InferenceSession Create(string modelName, Func<SessionOptions, InferenceSession> open, InferenceDevice device,
        ILogger logger, SessionThreading? threading, out string actualDevice)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        (threading ?? SessionThreading.OrtDefault).Apply(options);
        try
        {
            actualDevice = "cpu";
            if (device != InferenceDevice.Cpu)
            {
                try
                {
                    options.AppendExecutionProvider_CUDA(0);
                    actualDevice = "cuda";
                }
                catch (Exception e) when (device == InferenceDevice.Auto && e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
                {
                    string reason = e is EntryPointNotFoundException
                        ? "this build carries the CPU-only ONNX Runtime; build with -p:KarmaGpu=true for CUDA"
                        : e.Message.Split('\n')[0];
                    ModelLog.CudaUnavailable(logger, reason, modelName);
                }
            }

            return open(options);
        }
        finally
        {
            options.Dispose();
        }
    }
}
