namespace Vaani.Workers.Protocol;

/// <summary>Payload of a <see cref="FrameType.CapacityReport"/>: the worker's load after a change.</summary>
/// <param name="Active">STT sessions plus TTS requests running in the worker (all connections).</param>
/// <param name="Capacity">How many may run at once; starts beyond it are refused with <c>worker_busy</c>.</param>
public sealed record CapacityMessage(int Active, int Capacity);
