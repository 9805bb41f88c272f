namespace IncusBackup.Incus;

/// <summary>Background operations: /1.0/operations (docs/incus-api.md §0).</summary>
public interface IOperationsApi
{
    /// <summary>
    /// Waits for the operation to end, reporting its progress between polls. A failed operation throws
    /// <see cref="IncusApiException"/>; one the server has already forgotten throws <see cref="IncusOperationLostException"/>.
    /// </summary>
    Task<IncusOperation> WaitAsync(string operation, Action<IncusOperation>? progress, CancellationToken ct);
}

internal sealed class OperationsApi(IncusTransport transport) : IOperationsApi
{
    public Task<IncusOperation> WaitAsync(string operation, Action<IncusOperation>? progress, CancellationToken ct) =>
        transport.WaitAsync(operation, progress, ct);
}
