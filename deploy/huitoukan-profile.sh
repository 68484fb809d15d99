# 放到 /etc/profile.d/huitoukan.sh：每个经办人员登录后，huitoukan 自动连上办公室的数据服务。
export HUITOUKAN_DB=/var/lib/huitoukan/store
export HUITOUKAN_SOCKET=/run/huitoukan/huitoukan.sock
