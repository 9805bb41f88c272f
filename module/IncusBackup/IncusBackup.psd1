@{
    RootModule           = 'IncusBackup.psm1'
    ModuleVersion        = '0.2.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '5b8f2f7e-3c1a-4d2e-9a57-1f0c6e2d9b41'
    Author               = 'IncusBackup contributors'
    CompanyName          = 'IncusBackup'
    Copyright            = '(c) IncusBackup contributors. MIT License.'
    Description          = 'Back up and restore Incus instances (containers and VMs) and custom storage volumes into an auditable, checksummed repository, through the Incus REST API: consistent, streamed and parallel backups; verified, mappable restores with a safe replace.'
    PowerShellVersion    = '7.6'
    FormatsToProcess     = @('IncusBackup.format.ps1xml')
    TypesToProcess       = @('IncusBackup.types.ps1xml')
    CmdletsToExport      = @(
        'Backup-IncusConfig'
        'Backup-IncusImage'
        'Backup-IncusInstance'
        'Backup-IncusServer'
        'Backup-IncusVolume'
        'Copy-IncusBackup'
        'Get-IncusBackup'
        'Initialize-IncusBackupRepository'
        'Protect-IncusBackup'
        'Remove-IncusBackup'
        'Restore-IncusConfig'
        'Restore-IncusImage'
        'Restore-IncusServer'
        'Restore-IncusInstance'
        'Restore-IncusVolume'
        'Test-IncusBackup'
        'Unprotect-IncusBackup'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Incus', 'Backup', 'Restore', 'Containers', 'Linux')
        }
    }
}
