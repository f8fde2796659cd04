/** Staff accounts: admins, authors, reviewers. Candidates never get accounts (see invitations/). */
export * from './users.ts';
export {
  listAccounts,
  inviteStaff,
  changeRole,
  deactivateUser,
  reactivateUser,
  type StaffAccount,
} from './accounts.ts';
export {
  adminResetLink,
  changeOwnPassword,
  checkPasswordToken,
  requestPasswordReset,
  setPasswordWithToken,
  INVITE_TOKEN_MS,
  RESET_TOKEN_MS,
} from './passwords.ts';
